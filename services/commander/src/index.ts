/** `@busbar/commander` (private): the composition, exported for in-process end-to-end tests. */
export { commanderConfigSchema, loadCommanderConfig } from './config.js';
export type { CommanderConfig } from './config.js';
export { resolveWith, startCommander } from './commander.js';
