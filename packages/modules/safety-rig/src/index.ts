/**
 * `@busbar/module-safety-rig`: the battery safety rig (issue 10) as a protocol module — one rig, three
 * links (BMS on CAN via socketcand, PCS on Modbus RTU, Arduino I/O on serial) — with its edge
 * interlock ({@link InterlockEngine}, rule table {@link parseInterlockConfig}), the CSV schedule runner
 * ({@link ScheduleRunner}), the `rig.*` commands and its error catalogue. See README.md (the rig page).
 */
export { safetyRigModule } from './module.js';
export { PROTOCOL, rigControllerOf } from './session.js';
export type { RigSession } from './session.js';
export { rigDeviceSchema, rigDevicesSchema, resolveRigDevices } from './device-config.js';
export type { RigDeviceConfig, ResolvedRigDevice } from './device-config.js';
export { RIG_ACTIONS } from './actions.js';
export { InterlockEngine } from './interlock/engine.js';
export type { Condition, InterlockAction, InterlockStep, Level, RigState, Transition } from './interlock/engine.js';
export { parseInterlockConfig } from './interlock/config.js';
export type { Envelope, InterlockConfig, InterlockRule, PcsSetpoint } from './interlock/config.js';
export { parseScheduleCsv } from './schedule/csv.js';
export type { Schedule, ScheduleStep } from './schedule/csv.js';
export { ScheduleRunner } from './schedule/runner.js';
export type { ScheduleEvent, ScheduleStatus } from './schedule/runner.js';
export { RigController } from './controller.js';
export type { RigActuators, RigNotice } from './controller.js';
export { ERROR_CODES, RigError } from './errors.js';
export type { RigErrorCode } from './errors.js';
