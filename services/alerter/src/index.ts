/** `@busbar/alerter` (private): the composition, its configuration schema and error codes, for the end-to-end tests. */
export { startAlerter } from './alerter.js';
export { alerterConfigSchema } from './config.js';
export { ERROR_CODES } from './errors.js';
