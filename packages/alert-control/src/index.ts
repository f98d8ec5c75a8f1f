/**
 * @busbar/alert-control: the records people write to steer the alerter (pure, no I/O), shared by
 * the alerter and the `busbar` CLI — acknowledgements, silences and Alertmanager-syntax matchers.
 */
export { DEFAULT_ALERT_CONTROL_TOPIC, decodeAckRecord, encodeAckRecord } from './ack.js';
export type { AckRecord } from './ack.js';
export { DEFAULT_SILENCES_TOPIC, decodeSilence, encodeSilence, silenceStatus, silencedBy } from './silences.js';
export type { Silence } from './silences.js';
export { matchesAll, parseMatcher } from './matchers.js';
export type { LabelMatcher } from './matchers.js';
export { ERROR_CODES } from './errors.js';
