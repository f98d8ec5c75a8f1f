/** `@busbar/alerter` (private): the composition, its configuration and error codes, for the end-to-end tests and deployment checks. */
export { startAlerter } from './alerter.js';
export { alerterConfigSchema, loadAlerterConfig } from './config.js';
export { ERROR_CODES } from './errors.js';
