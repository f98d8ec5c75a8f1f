/** `@busbar/commander` (private): the composition, exported for in-process end-to-end tests. */
export { commanderConfigSchema, loadCommanderConfig, resolveCommanderConfig } from './config.js';
export type { CommanderConfig } from './config.js';
export { startCommander } from './commander.js';
