/**
 * `@busbar/driver-basytec`: BaSyTec battery test systems (see README.md and the BaSyTec
 * integration reference). Sources: Resultfiles (streaming parser, live tailing of an export
 * directory) and the BaSyTec database (PostgreSQL, MariaDB, SQLite backups) through a configured
 * mapping; control: RCI command templates behind a ≤ 10 commands/s limiter; a simulator.
 */
export { ERROR_CODES, BasytecError } from './errors.js';

/**
 * The streaming Resultfile parser: the codec's entry point, documented for users in the driver's
 * README ("Resultfiles"); in this tree only the tailer uses it (from inside the package).
 * @public
 */
export { ResultfileParser } from './codec/resultfile.js';
export type { BasytecRow, ResultfileHeader } from './codec/resultfile.js';
export { mapColumn, mapHeader } from './codec/columns.js';
export { EXAMPLE_RCI_TEMPLATES } from './codec/rci.js';

export { JsonFileCursorStore, MemoryCursorStore } from './client/cursor-store.js';
export type { CursorStore } from './client/cursor-store.js';
export { ResultfileTailer } from './client/tailer.js';
export type { TailBatch } from './client/tailer.js';
export { DatabaseSource, EXAMPLE_DB_MAPPING } from './client/db-source.js';
export type { DbBatch } from './client/db-source.js';
export { connectPostgres, connectMariadb, openSqlite } from './client/sql.js';
export type { SqlConnection } from './client/sql.js';
export { RciClient } from './client/rci-client.js';
export type { RciReply } from './client/rci-client.js';
export { connectTcpTransport, openSerialTransport } from './client/rci-transport.js';

export { startBasytecSimulator } from './simulator/simulator.js';
export type { BasytecSimulator } from './simulator/simulator.js';
export { startRciSimulator } from './simulator/rci-simulator.js';
export type { RciSimulator } from './simulator/rci-simulator.js';
export { sqlDbSink } from './simulator/db-sink.js';
export { DEFAULT_PLAN, simulateRows } from './simulator/model.js';
export { ResultfileFormat } from './simulator/resultfile-writer.js';
