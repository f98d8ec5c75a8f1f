/**
 * `@busbar/driver-arbin-cti`: Arbin CTI (Console TCP/IP Interface of MITS Pro) — pure codec, TCP
 * client that connects and logs in once (it reports its loss; it never reconnects) with MV spacing, SI-named readings, state-transition classifier and a
 * strict simulator. Protocol facts: Arbin CTI reference README (sections cited per module).
 */
export { ArbinCtiError, ERROR_CODES } from './errors.js';

export type { LoginFeedback } from './codec/login.js';
export { AUX_TYPES, emptyChannelRecord } from './codec/channel-info.js';
export type { ChannelInfoRecord } from './codec/channel-info.js';
export { encodeAssignScheduleRequest, encodeStartScheduleRequest } from './codec/schedule.js';
export { MV_MIN_INTERVAL_MS } from './codec/meta-variable.js';

export { channelStateTransition, toChannelReading } from './reading.js';
export type { ChannelReading, ChannelTransition } from './reading.js';

export { ArbinCtiClient, DEFAULT_CTI_PORT, DEFAULT_REQUEST_TIMEOUT_MS } from './client/client.js';
export type { CommandResult } from './client/client.js';
export { ArbinCredentials, loadArbinCredentials } from './client/credentials.js';

export { startArbinSimulator } from './simulator/simulator.js';
export type { ArbinSimulator, ArbinSimulatorOptions } from './simulator/simulator.js';
