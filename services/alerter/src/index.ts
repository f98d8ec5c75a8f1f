/** `@busbar/alerter` (private): the composition and the pure rules, exported for tests. */
export { startAlerter } from './alerter.js';
export { alertId, toAlert } from './alert.js';
export { createReadingsHandler, DEFAULT_HEARTBEAT_INTERVAL_MS } from './handler.js';
export type { ReadingsHandlerOptions } from './handler.js';
export { AlertOutbox, DEFAULT_NOTIFICATION_EXPIRY_MS } from './notify/outbox.js';
export type { AlertOutboxOptions, Notifier } from './notify/outbox.js';
export { alerterConfigSchema, loadAlerterConfig } from './config.js';
export type { AlerterConfig } from './config.js';
export { DEFAULT_SMTP_TIMEOUTS_MS, EmailNotifier, formatAlertMail } from './notify/email.js';
export type { EmailSettings } from './notify/email.js';
export { postWebhook } from './notify/webhook.js';
export { breachedSeverity, ThresholdEvaluator } from './rules/threshold.js';
export type { EvaluationDraft, Sample, Severity, ThresholdRule, Transition } from './rules/threshold.js';
export { ERROR_CODES } from './errors.js';
