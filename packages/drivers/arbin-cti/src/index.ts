/**
 * `@busbar/driver-arbin-cti`: Arbin CTI (Console TCP/IP Interface of MITS Pro) — pure codec, TCP
 * client with login/reconnect and MV spacing, SI-named readings, state-transition classifier and a
 * strict simulator. Protocol facts: Arbin CTI reference README (sections cited per module).
 */
export { ArbinCtiError, ERROR_CODES } from './errors.js';
export type { ArbinCtiErrorCode } from './errors.js';

export {
  CTI_CHECKSUM_BYTES,
  CTI_HEADER_BYTES,
  CTI_MIN_FRAME_BYTES,
  CTI_TOKEN,
  CTI_TOKEN_VALUE,
  CtiFrameDecoder,
  DEFAULT_MAX_FRAME_BYTES,
  ctiChecksum,
  encodeFrame,
  frameTotalBytes,
  parseFrame,
} from './codec/frame.js';
export type { CtiDirection, CtiFrame, CtiFrameDecoderOptions } from './codec/frame.js';
export { CTI_COMMANDS, commandNameOfRequest, feedbackCodeFor } from './codec/commands.js';
export type { CtiCommandName } from './codec/commands.js';
export { CTI_RESULT_CODES, CTI_SUCCESS_CODE, describeResult } from './codec/result-codes.js';
export type { CtiResult, CtiResultCodeDoc, CtiResultFamily } from './codec/result-codes.js';
export { CTI_CHANNEL_STATUS, channelStatusName, formatStepAndCycle, parseStepAndCycle } from './codec/status.js';
export type { StepAndCycle } from './codec/status.js';
export { LOGIN_FEEDBACK_BYTES, LOGIN_REQUEST_BYTES, decodeLoginFeedback, decodeLoginRequest, encodeLoginFeedback, encodeLoginRequest } from './codec/login.js';
export type { LoginFeedback, LoginRequest } from './codec/login.js';
export {
  AUX_OPTIONS,
  AUX_TYPES,
  CHANNEL_INFO_REQUEST_BYTES,
  CHANNEL_RECORD_BYTES,
  CHANNEL_SELECTION,
  decodeChannelInfoFeedback,
  decodeChannelInfoRequest,
  emptyChannelRecord,
  encodeChannelInfoFeedback,
  encodeChannelInfoRequest,
} from './codec/channel-info.js';
export type { AuxType, AuxValue, ChannelInfoFeedback, ChannelInfoRecord, ChannelInfoRequest } from './codec/channel-info.js';
export { STANDARD_FEEDBACK_BYTES, decodeStandardFeedback, encodeStandardFeedback } from './codec/feedback.js';
export type { StandardFeedback } from './codec/feedback.js';
export {
  MAX_CHANNEL_INDEX0,
  decodeAssignScheduleRequest,
  decodeContinueChannelRequest,
  decodeJumpToStepRequest,
  decodeResumeScheduleRequest,
  decodeStartScheduleRequest,
  decodeStopScheduleRequest,
  encodeAssignScheduleRequest,
  encodeContinueChannelRequest,
  encodeJumpToStepRequest,
  encodeResumeScheduleRequest,
  encodeStartScheduleRequest,
  encodeStopScheduleRequest,
} from './codec/schedule.js';
export type { AssignScheduleRequest, ChannelAllRequest, ContinueChannelRequest, DecodedAssignScheduleRequest, JumpToStepRequest, StartScheduleRequest } from './codec/schedule.js';
export {
  MAX_MV_ADVANCED_ENTRIES,
  MV_MIN_INTERVAL_MS,
  MV_UD_META_CODES,
  decodeSetMetaVariableRequest,
  decodeUpdateMetaVariablesRequest,
  encodeSetMetaVariableRequest,
  encodeUpdateMetaVariablesRequest,
  mvMetaCode,
  mvNumberOfMetaCode,
} from './codec/meta-variable.js';
export type { MvNumber, MvUpdateEntry, SetMetaVariableRequest } from './codec/meta-variable.js';
export { decodeGetSerialNumberRequest, decodeSerialNumberFeedback, encodeGetSerialNumberRequest, encodeSerialNumberFeedback } from './codec/serial-number.js';
export type { SerialNumberFeedback } from './codec/serial-number.js';
export { CONSOLE_MESSAGE_UNITS, decodeConsoleMessageFeedback, decodeConsoleMessageRequest, encodeConsoleMessageFeedback, encodeConsoleMessageRequest } from './codec/console-message.js';

export { channelStateTransition, statusClass, toChannelReading } from './reading.js';
export type { ChannelReading, ChannelState, ChannelTransition, ChannelTransitionKind } from './reading.js';

export {
  ArbinCtiClient,
  DEFAULT_ALL_CHANNELS_QUIET_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_CTI_PORT,
  DEFAULT_RECONNECT_INITIAL_MS,
  DEFAULT_RECONNECT_MAX_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from './client/client.js';
export type { ArbinCtiClientEvents, ArbinCtiClientOptions, CommandResult, MvSetting } from './client/client.js';
export { ArbinCredentials, loadArbinCredentials } from './client/credentials.js';
export type { ReadTextFile } from './client/credentials.js';
export { MvRateLimiter } from './client/mv-rate-limiter.js';
export type { MvRateLimiterOptions, MvRequest } from './client/mv-rate-limiter.js';

export { simulatedOcv, startArbinSimulator } from './simulator/simulator.js';
export type { ArbinSimulator, ArbinSimulatorOptions, SimulatedChannelState, SimulatorViolation } from './simulator/simulator.js';
