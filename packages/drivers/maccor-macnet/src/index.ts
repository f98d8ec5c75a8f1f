/**
 * `@busbar/driver-maccor-macnet`: Maccor MacNet (JSON over TCP 57570, binary over TCP 57560 and UDP 57550) codec,
 * client, direct-control safety pieces and a tester simulator. See README.md and the Maccor MacNet
 * protocol reference.
 */
export { ERROR_CODES, MaccorError, MaccorRpcError, MaccorCommandRejectedError } from './errors.js';
export type { MaccorErrorCode } from './errors.js';

export { JsonStreamDecoder, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_JSON_DEPTH } from './codec/framing.js';
export { summarizeJson, topLevelKeys } from './codec/summary.js';
export type { SummaryLimits } from './codec/summary.js';
export { encodeRequest, decodeReply, DEFAULT_REQUEST_ID } from './codec/envelope.js';
export type { MacnetParams, ReplyExpectation, DecodedReply } from './codec/envelope.js';
export type { MacnetObject } from './codec/fields.js';
export { channelToIndex0, index0ToChannel, planChannelSpans, MAX_CHANNELS_PER_READ } from './codec/channels.js';
export type { ChannelSpan } from './codec/channels.js';
export {
  STAT_NAMES, RF1_NAMES, RF2_NAMES, RF2_SAFETY_CODES, RF2_FAULT_CODES, STAT_FAULT_CODES, statName, rf1Name, rf2Name,
  START_TEST_RESULTS, START_DIRECT_RESULTS, DIRECT_OUTPUT_RESULTS, CHECK_START_RESULTS,
} from './codec/tables.js';
export {
  encodeEcho, encodeVersionInfoRequest, decodeVersionInfo, encodeGeneralInfoRequest, decodeGeneralInfo,
  encodeProcedureExistsRequest, decodeProcedureExists, encodeTestNameExistsRequest, decodeTestNameExists,
} from './codec/system.js';
export type { VersionInfo, GeneralInfo } from './codec/system.js';
export {
  encodeMultiChannelRequest, encodeChannelRequest, decodeMultiStatus, decodeMultiValues, decodeAuxValues, decodeTestInfo,
  decodeChannelReading, decodeGlobalFlagsAndVars, decodeEndStatus,
} from './codec/status.js';
export type { ChannelStatus, ChannelReading, ChannelValue, TestInfo, GlobalFlagsAndVars, EndStatus } from './codec/status.js';
export {
  decodeCommandResult, encodeStartTest, encodeCheckTestStart, encodeChannelCommand, encodeSetVariable, encodeSetSafetyLimits,
  decodeSafetyLimits, compareSafetyEcho, SAFETY_ECHO_TOLERANCE,
} from './codec/commands.js';
export type { StartTestFields, SafetyLimits } from './codec/commands.js';
export { DISABLED_SETPOINT, CH_MODE_LETTER, chooseCurrentRange, directOutputFields, encodeStartDirectMode, encodeSetDirectOutput } from './codec/direct.js';
export type { DirectMode, DirectSetpoint, DataRecordOptions } from './codec/direct.js';
export {
  BINARY_HEADER_BYTES, encodeBinaryFrame, encodeDirectOutputBinary, decodeDirectOutputBinaryData, encodeBinaryResult, decodeBinaryResult, BinaryStreamDecoder,
} from './codec/binary.js';
export type { BinaryHeader, BinaryFrame, DirectOutputBinaryData } from './codec/binary.js';

export { channelStateTransition, channelPhase } from './control/transition.js';
export type { ChannelStateSample, ChannelPhase, ChannelTransitionKind, ChannelTransition } from './control/transition.js';
export { SetpointPacer, MIN_SETPOINT_INTERVAL_MS } from './control/pacer.js';
export type { PacerDecision, DueSetpoint } from './control/pacer.js';
export { DirectControlEnvelope } from './control/envelope.js';
export type { ChannelEnvelope, EnvelopeRefusal, EnvelopeRefusalReason, EnvelopeCheck } from './control/envelope.js';
export { SetpointWatchdog } from './control/watchdog.js';
export type { SetpointWatchdogOptions } from './control/watchdog.js';

export { RequestConnection } from './client/connection.js';
export type { ConnectionOptions, BackoffOptions, RequestOptions, ConnectionEvents, StreamDecoder } from './client/connection.js';
export { BinaryUdpChannel, DEFAULT_UDP_PORT, binaryFrameOfDatagram } from './client/udp.js';
export type { UdpChannelOptions, DatagramFrame } from './client/udp.js';
export { MaccorClient, DEFAULT_JSON_PORT, DEFAULT_BINARY_PORT, REST_VIA_VALUES } from './client/client.js';
export type { RestVia, MaccorClientOptions, StartTestOptions, StartTestOutcome, StartDirectControlOptions, CheckStartResult, PreflightMode } from './client/client.js';

export { startMaccorSimulator } from './simulator/simulator.js';
export type { MaccorSimulator, MaccorSimulatorOptions, SimRequestRecord, SimDroppedDatagram } from './simulator/simulator.js';
export type { SimChannel, SimDirectState } from './simulator/model.js';
