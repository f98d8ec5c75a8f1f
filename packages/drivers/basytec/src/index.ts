/**
 * `@busbar/driver-basytec`: BaSyTec battery test systems (see README.md and the BaSyTec
 * integration reference). Sources: Resultfiles (streaming parser, live tailing of an export
 * directory) and the BaSyTec database (PostgreSQL, MariaDB, SQLite backups) through a configured
 * mapping; control: RCI command templates behind a ≤ 10 commands/s limiter; a simulator.
 */
export { ERROR_CODES, BasytecError, isBasytecError } from './errors.js';
export type { BasytecErrorCode } from './errors.js';

export { ResultfileParser, parseResultfile, DEFAULT_MAX_LINE_BYTES } from './codec/resultfile.js';
export type { BasytecRow, ResultRow, ResultfileHeader, ResultfileMeta, ResultfileEncoding, ParserOptions, ParseOutput } from './codec/resultfile.js';
export { mapColumn, mapHeader } from './codec/columns.js';
export type { ColumnSpec, ColumnKind } from './codec/columns.js';
export { ZoneConverter } from './codec/timezone.js';
export { EXAMPLE_RCI_TEMPLATES, validateTemplates } from './codec/rci.js';
export type { RciCommandTemplate, RciTemplates, RciValues } from './codec/rci.js';

export { JsonFileCursorStore, MemoryCursorStore } from './client/cursor-store.js';
export type { CursorStore, CursorValue } from './client/cursor-store.js';
export { ResultfileTailer, testKeyOf } from './client/tailer.js';
export type { TailerOptions, TailBatch, TestIdentity } from './client/tailer.js';
export { DatabaseSource, EXAMPLE_DB_MAPPING } from './client/db-source.js';
export type { DatabaseSourceOptions, DbBatch, DbMapping, DbTest } from './client/db-source.js';
export { connectPostgres, connectMariadb, openSqlite } from './client/sql.js';
export type { SqlConnection, SqlDialect, SqlServerOptions } from './client/sql.js';
export { RciClient, DEFAULT_RCI_TIMEOUT_MS } from './client/rci-client.js';
export type { RciClientOptions, RciReply, RciSendOptions } from './client/rci-client.js';
export { RateLimiter } from './client/rate-limiter.js';
export type { RateLimiterOptions } from './client/rate-limiter.js';
export { connectTcpTransport, openSerialTransport } from './client/rci-transport.js';
export type { LineTransport, TcpTransportOptions, SerialTransportOptions } from './client/rci-transport.js';

export { startBasytecSimulator } from './simulator/simulator.js';
export type { BasytecSimulator, BasytecSimulatorOptions, DbSink } from './simulator/simulator.js';
export { startRciSimulator, EXAMPLE_RCI_REPLIES } from './simulator/rci-simulator.js';
export type { RciSimulator, RciSimulatorOptions, RciReplyFormats } from './simulator/rci-simulator.js';
export { sqlDbSink } from './simulator/db-sink.js';
export { DEFAULT_PLAN, simulateRows } from './simulator/model.js';
export type { PlanStep, SimRow, SimTest } from './simulator/model.js';
export { ResultfileFormat } from './simulator/resultfile-writer.js';
export type { ResultfileFormatOptions } from './simulator/resultfile-writer.js';
