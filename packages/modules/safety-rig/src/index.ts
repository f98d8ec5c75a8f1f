/**
 * `@busbar/module-safety-rig`: the battery safety rig (issue 10) — the edge interlock
 * ({@link InterlockEngine}, its rule table {@link parseInterlockConfig}), the CSV schedule runner ({@link ScheduleRunner}), and its error catalogue.
 * See README.md (the rig page).
 */
export { InterlockEngine } from './interlock/engine.js';
export type { Condition, InterlockAction, InterlockStep, Level, RigState, Transition } from './interlock/engine.js';
export { envelopeViolation, interlockConfigSchema, parseInterlockConfig } from './interlock/config.js';
export type { Envelope, InputKind, InterlockConfig, InterlockRule, PcsSetpoint } from './interlock/config.js';
export { parseScheduleCsv } from './schedule/csv.js';
export type { Schedule, ScheduleStep } from './schedule/csv.js';
export { ScheduleRunner } from './schedule/runner.js';
export type { ScheduleEvent, ScheduleRunnerOptions, ScheduleStatus } from './schedule/runner.js';
export { ERROR_CODES, RigError } from './errors.js';
export type { RigErrorCode } from './errors.js';
