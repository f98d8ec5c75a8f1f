/**
 * `@busbar/driver-itron-corus`: Itron/Actaris Corus gas volume converters over IFLAG "Single
 * Address Mode" (itron-corus README). Pure codec (exact decimals), a single-session client with
 * priorities, parameter maps and log layouts from configuration, and a device simulator.
 */
export { ERROR_CODES, CorusError } from './errors.js';
export type { CorusErrorCode } from './errors.js';

export { ExactDecimal, roundHalfEven } from './codec/exact-decimal.js';
export { crc16Umts } from './codec/crc.js';
export { encodeParameterId, decodeParameterId, parameterIdLength, MAX_PARAMETER_ID, FIRST_TWO_BYTE_ID } from './codec/parameter-id.js';
export {
  CORUS_CLASSES,
  CLASS_LENGTH,
  decodeValue,
  encodeValue,
  checkCorusDateTime,
  formatCorusDateTime,
  parseCorusDateTime,
  isCorusDateTime,
} from './codec/data-classes.js';
export type { CorusClass, CorusDateTime, CorusValue, CorusInputValue, ClassCodecOptions } from './codec/data-classes.js';
export { SOH, ETX, ACK, NAK, MAX_FRAME_DATA, Command, BREAK_FRAME, encodeRequestFrame, encodeResponseFrame, decodeResponseFrame, DeviceMessageDecoder } from './codec/frames.js';
export type { DeviceMessage } from './codec/frames.js';
export { encodeReadRequest, decodeReadResponse, encodeReadResponseData, encodeWriteRequest, planReads } from './codec/parameters.js';
export type { ParameterRef, WriteItem } from './codec/parameters.js';
export {
  SIGN_ON_REQUEST,
  WAKEUP_REPLY,
  encodeWakeup,
  encodeOptionSelect,
  encodePasswordMessage,
  decodePasswordMessage,
  decodeIdentification,
} from './codec/sign-on.js';
export type { OptionSelect, Identification } from './codec/sign-on.js';
export {
  DATABASE_IDS,
  DATABASE_OPTION_MASK,
  encodeDatabaseRequest,
  decodeDatabaseRequestData,
  decodeDatabaseFrame,
  encodeDatabaseFrames,
  DatabaseAssembler,
  decodeRecord,
  layoutLength,
  recordToJson,
} from './codec/database.js';
export type { DatabaseName, DatabaseRequest, DecodedDatabaseRequest, DatabaseFrame, RecordField, DecodedRecord } from './codec/database.js';

export { corusMapSchema, parseCorusMap, MAP_NAME_PARAMETER_ID, isNumericClass } from './config/map.js';
export type { CorusMap, CorusMapInput, CorusMapConfig, CorusParameter, CorusLogConfig } from './config/map.js';
export { EXAMPLE_CORUS_MAP, INTERVAL_LAYOUT_52 } from './config/example-map.js';

export { findLogGaps } from './log-gaps.js';
export type { LogGap } from './log-gaps.js';

export { tcpTransport, serialTransport, IEC_BAUD_RATES } from './client/transport.js';
export type { CorusTransport, CorusTransportFactory, TcpTransportOptions, SerialTransportOptions } from './client/transport.js';
export { CorusLink } from './client/link.js';
export type { LinkOptions, CorusTimeouts, WriteAnswer } from './client/link.js';
export { CorusSession, Priority } from './client/session.js';
export type { CorusSessionOptions, ParameterValue, LogRecord, ParameterWrite, WriteResult, RetryPolicy } from './client/session.js';
export { corusDateTimeToDate, dateToCorusDateTime } from './client/time-zone.js';

export { startCorusSimulator } from './simulator/simulator.js';
export type { CorusSimulator, CorusSimulatorOptions, CorusFault, CorusFaultKind, CorusFaultPoint, SimulatedRecord } from './simulator/simulator.js';
