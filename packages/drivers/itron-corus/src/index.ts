/**
 * `@busbar/driver-itron-corus`: Itron/Actaris Corus gas volume converters over IFLAG "Single
 * Address Mode" (itron-corus README). Pure codec (exact decimals), a single-session client with
 * priorities, parameter maps and log layouts from configuration, and a device simulator.
 */
export { ERROR_CODES, CorusError } from './errors.js';

export { ExactDecimal } from './codec/exact-decimal.js';
export { parameterIdLength } from './codec/parameter-id.js';
export { decodeValue, encodeValue, formatCorusDateTime } from './codec/data-classes.js';
export type { CorusDateTime, CorusInputValue, ClassCodecOptions } from './codec/data-classes.js';
export { MAX_FRAME_DATA } from './codec/frames.js';
export type { WriteItem } from './codec/parameters.js';

export { corusMapSchema, parseCorusMap, isNumericClass } from './config/map.js';
export type { CorusMap, CorusParameter } from './config/map.js';
export { EXAMPLE_CORUS_MAP } from './config/example-map.js';

export { expectedLogSlots, findLogGaps, planGapRequests, parseDayStart, DEFAULT_MAX_GAP_REQUESTS_PER_PASS } from './log/slots.js';
export { decideLogRecords, SKIP_REASONS } from './log/cursor-policy.js';
export type { LogCursorState, CursorDecision, ClockSetBackEvent } from './log/cursor-policy.js';

export { tcpTransport, serialTransport } from './client/transport.js';
/** @public For the Corus protocol module's device schema (its author wires the link options). */
export { corusLinkOptionsSchema, corusSerialOptionsSchema, DEFAULT_LINK_OPTIONS } from './client/options.js';
/** @public For the Corus protocol module's device schema. */
export type { CorusLinkOptions, CorusSerialOptions, CorusTimeouts, OptionSelectOptions, ResolvedLinkOptions } from './client/options.js';
/** @public For the Corus protocol module's session: a link connects once and reports its loss (`lost`). */
export { CorusLink } from './client/link.js';
export type { WriteAnswer } from './client/link.js';
export { CorusSession, Priority, logEntryToRecord } from './client/session.js';
export type { ParameterValue, LogRecord, LogEntry } from './client/session.js';
export { dateToCorusDateTime } from './client/time-zone.js';

export { startCorusSimulator } from './simulator/simulator.js';
export type { CorusSimulator } from './simulator/simulator.js';
