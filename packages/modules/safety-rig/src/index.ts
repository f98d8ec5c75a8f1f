/**
 * `@busbar/module-safety-rig`: the battery safety rig (issue 10) as a protocol module — one rig, three
 * links (BMS on CAN via socketcand, PCS on Modbus RTU, Arduino I/O on serial) — with its edge
 * interlock (`src/interlock`), the CSV schedule runner (`src/schedule`), the `rig.*` commands and its
 * error catalogue. See README.md (the rig page). The index exports what the collector, the commander
 * and the tests of other workspaces use; the rest is internal.
 */
export { safetyRigModule } from './module.js';
export { rigControllerOf } from './session.js';
export type { ResolvedRigDevice } from './device-config.js';
export { ERROR_CODES } from './errors.js';
