/**
 * `@busbar/driver-maccor-macnet`: Maccor MacNet (JSON over TCP 57570, binary over TCP 57560 and UDP 57550) codec,
 * client, direct-control safety pieces and a tester simulator. See README.md and the Maccor MacNet
 * protocol reference.
 */
export { ERROR_CODES, MaccorError, MaccorCommandRejectedError } from './errors.js';

export { MAX_CHANNELS_PER_READ } from './codec/channels.js';
export type { ChannelStatus, ChannelReading } from './codec/status.js';
export type { SafetyLimits } from './codec/commands.js';
export type { GeneralInfo } from './codec/system.js';
export type { DirectSetpoint } from './codec/direct.js';

export { channelStateTransition, channelPhase } from './control/transition.js';
export type { ChannelStateSample } from './control/transition.js';
export { DirectControlEnvelope } from './control/envelope.js';
export type { ChannelEnvelope } from './control/envelope.js';
export { SetpointWatchdog } from './control/watchdog.js';

export { MaccorClient } from './client/client.js';

export { startMaccorSimulator } from './simulator/simulator.js';
export type { MaccorSimulator } from './simulator/simulator.js';
