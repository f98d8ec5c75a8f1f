/**
 * `@busbar/supervisor`: the device loop every collector shares.
 */
export { DeviceSupervisor } from './supervisor.js';
export type { DeviceSession, SupervisorEvents, SupervisorOptions } from './supervisor.js';
