/** `@busbar/historian` (private): the composition, exported for in-process end-to-end tests. */
export { historianConfigSchema, loadHistorianConfig } from './config.js';
export type { HistorianConfig } from './config.js';
export { startHistorian } from './historian.js';
export { ERROR_CODES } from './errors.js';
