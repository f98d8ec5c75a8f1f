/** `@busbar/alerter` (private): the composition and the pure rules, exported for tests. */
export { alertId, startAlerter, toAlert } from './alerter.js';
export { alerterConfigSchema, loadAlerterConfig } from './config.js';
export type { AlerterConfig } from './config.js';
export { EmailNotifier, formatAlertMail } from './notify/email.js';
export { breachedSeverity, ThresholdEvaluator } from './rules/threshold.js';
export type { Sample, Severity, ThresholdRule, Transition } from './rules/threshold.js';
export { ERROR_CODES } from './errors.js';
