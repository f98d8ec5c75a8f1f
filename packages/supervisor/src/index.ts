/**
 * `@busbar/supervisor`: the device loop every collector shares.
 */
export { DeviceSupervisor } from './supervisor.js';
export type { SupervisorEvents } from './supervisor.js';
