/**
 * `@busbar/module-basytec`: the BaSyTec protocol module (device file schema with the export
 * directory, database mapping, RCI templates and allowed plans; a source-driven session whose
 * cursors advance on Kafka acknowledgement; rows → channel Readings and step/test events; the
 * `basytec.start_test` / `basytec.stop_test` actions), loaded by the BaSyTec collector and the commander.
 */
export { createBasytecModule, resolveBasytecDevice } from './module.js';
export type { BasytecModule } from './module.js';
export type { BasytecDeviceConfig, BasytecDeviceInput } from './device-config.js';
export { BASYTEC_MODULE_ERROR_CODES as ERROR_CODES } from './errors.js';
export { pollRecords } from './records.js';
export { newestRows } from './session.js';
