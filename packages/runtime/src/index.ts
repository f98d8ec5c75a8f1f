/**
 * `@busbar/runtime`: what every service process shares. Services only; packages and drivers use
 * the `@busbar/core` interfaces instead.
 */
export { ConfigError, loadConfig } from './config.js';
export type { RunningService } from './service.js';
export { ERROR_CODES } from './errors.js';
export { serviceMain } from './main.js';
export { looseSections } from './config-issues.js';
export { checkConfigFile } from './check.js';
export type { ConfigLoader } from './check.js';
