/**
 * `@busbar/module-corus`: the Itron/Actaris Corus (IFLAG) protocol module — device file schema
 * (connection, parameter map, polled parameters, logs), the single session opened once, poll →
 * one Reading per device with exact decimals, the `corus.*` actions, and the log backfill as the
 * module's background job — loaded by the Corus collector and the commander.
 */
export { createCorusModule } from './module.js';
export type { ResolvedCorusDevice } from './device-config.js';
export { ERROR_CODES } from './errors.js';
/**
 * The session type of {@link createCorusModule}'s `ProtocolModule`: no file of the tree imports it,
 * but a workspace that exports the created module (the commander's configuration) emits a
 * declaration naming it (TypeScript TS2742 without this export).
 * @public
 */
export type { CorusDeviceSession } from './session.js';
