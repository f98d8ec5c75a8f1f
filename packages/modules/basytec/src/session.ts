/**
 * One BaSyTec tester's session: its sources (the watched Resultfile directory and/or the database,
 * `@busbar/driver-basytec`) opened once over one cursor file, and its RCI remote control.
 *
 * - Source-driven: a poll returns the rows that are new since the cursors, without waiting; the
 *   cursors advance only when the runtime acknowledges a poll's records (after Kafka acknowledged
 *   them, `ProtocolModule.acknowledge`). A session that fails or is lost is closed and a new one
 *   reads again from the persisted cursors: nothing is skipped.
 * - `lost` settles when the export directory becomes unreadable or the database connection drops.
 * - RCI is connected on the first command and again on a command after its loss (one attempt per
 *   command, no loop): the data sources never wait on, or fail with, remote control.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError } from '@busbar/core';
import type { BasytecError, CursorStore, DbBatch, ResultfileHeader, SqlConnection, TailBatch } from '@busbar/driver-basytec';
import {
  DatabaseSource, JsonFileCursorStore, MemoryCursorStore, RciClient, ResultfileTailer, connectMariadb, connectPostgres, connectTcpTransport, mapColumn, openSerialTransport, openSqlite,
} from '@busbar/driver-basytec';
import type { Session } from '@busbar/protocol';
import type { BasytecDeviceConfig } from './device-config.js';
import type { BasytecPoll, SourceBatch } from './records.js';

/** An open tester: sources and (lazily) RCI. */
export interface BasytecSession extends Session {
  /** Reads what is new in every source (never waits for the file system). */
  poll(): Promise<BasytecPoll>;
  /**
   * The RCI client, connected now when it is not (or was lost).
   * @throws {BasytecError} `BB_BASYTEC_RCI_NOT_CONNECTED` (outcome `not_sent`) when it cannot connect.
   */
  rci(): Promise<RciClient>;
}

const neverLost = new Promise<Error>(() => undefined);

/** Which timestamp a file's rows carry (driver README "Timestamps"). */
export function fileTimestampSource(header: ResultfileHeader | undefined, mode: 'auto' | 'elapsed'): 'clock' | 'elapsed' {
  if (header === undefined) return 'elapsed';
  const kinds = new Set(header.columns.map((c) => c.kind));
  const hasClock = kinds.has('datetime') || (kinds.has('date') && kinds.has('clock'));
  const hasElapsed = header.columns.some((c) => c.target === 'elapsed_s') && header.meta.startedAtMs !== undefined;
  if (mode === 'elapsed') return hasElapsed ? 'elapsed' : 'clock';
  return hasClock ? 'clock' : 'elapsed';
}

/** Which timestamp database rows carry under a mapping (the driver reads `DateTime`/`Date`+`Time` first, else start + elapsed). */
export function dbTimestampSource(columns: Readonly<Record<string, string>>): 'clock' | 'elapsed' {
  const headers = Object.values(columns);
  const hasDate = headers.some((h) => h.toLowerCase() === 'date');
  const kinds = new Set(headers.map((h) => mapColumn(h, hasDate).kind));
  return kinds.has('datetime') || (kinds.has('date') && kinds.has('clock')) ? 'clock' : 'elapsed';
}

function fileBatch(b: TailBatch, tailer: ResultfileTailer, mode: 'auto' | 'elapsed'): SourceBatch {
  const meta = b.header?.meta;
  return {
    source: 'file', origin: b.file, rows: b.rows, errors: b.errors, timestampSource: fileTimestampSource(b.header, mode),
    test: { name: b.test.testName, channel: b.test.channel, start: b.test.startOfTest, plan: meta?.plan, battery: meta?.battery },
    ack: () => tailer.ack(b),
  };
}

function dbBatch(b: DbBatch, name: string, src: DatabaseSource, tsSource: 'clock' | 'elapsed'): SourceBatch {
  return {
    source: 'db', origin: `${name}:${b.test.id}`, rows: b.rows, errors: b.errors, timestampSource: tsSource,
    test: { name: b.test.name, channel: b.test.channel, start: b.test.start },
    ack: () => src.ack(b),
  };
}

async function connectDatabase(device: BasytecDeviceConfig, env: NodeJS.ProcessEnv): Promise<SqlConnection> {
  const d = device.database!;
  if (d.engine === 'sqlite') return openSqlite(d.path!, true);
  const password = d.passwordEnv !== undefined ? env[d.passwordEnv] : d.password;
  if (d.passwordEnv !== undefined && password === undefined) {
    throw new BusbarError('BB_CONFIG_INVALID', `device ${device.id}: database.passwordEnv names ${d.passwordEnv}, which is not set`, { context: { field: 'database.passwordEnv' } });
  }
  const o = { host: d.host, port: d.port!, user: d.user!, password: password ?? '', database: d.database!, readOnly: true };
  return d.engine === 'postgres' ? connectPostgres(o) : connectMariadb(o);
}

/** The sources of a device over a cursor store (shared by the session and {@link newestRows}). */
async function openSources(device: BasytecDeviceConfig, store: CursorStore, logger: Logger, env: NodeJS.ProcessEnv): Promise<{ tailer?: ResultfileTailer; db?: { src: DatabaseSource; connection: SqlConnection; name: string }; close(): Promise<void> }> {
  let tailer: ResultfileTailer | undefined;
  let connection: SqlConnection | undefined;
  const close = async (): Promise<void> => {
    await tailer?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
  };
  try {
    const rf = device.resultFiles;
    if (rf !== undefined) {
      tailer = await ResultfileTailer.open({
        dir: rf.dir, store, timeZone: device.timeZone, filePattern: new RegExp(rf.filePattern, 'i'), watch: false, readChunkBytes: rf.readChunkBytes,
        maxBatchRows: Math.min(1000, rf.maxRowsPerPoll), encoding: rf.encoding, timestampSource: device.timestampSource, logger,
      });
    }
    const d = device.database;
    if (d === undefined) return { tailer, close };
    connection = await connectDatabase(device, env);
    const name = d.name ?? device.id;
    const src = new DatabaseSource({ name, connection, mapping: d.mapping, store, timeZone: device.timeZone, batchRows: d.batchRows, logger });
    return { tailer, db: { src, connection, name }, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Opens a tester's sources over its cursor file.
 *
 * @param env - where `database.passwordEnv` is read (default `process.env`).
 * @throws {BasytecError} `BB_BASYTEC_CURSOR_STORE_FAILED` (cursor file unreadable),
 *   `BB_BASYTEC_FILE_READ_FAILED` (export directory), `BB_BASYTEC_DB_QUERY_FAILED` (database
 *   connection); `BB_CONFIG_INVALID` when `passwordEnv` is not set.
 */
export async function openBasytecSession(device: BasytecDeviceConfig, logger: Logger, metrics: Metrics, env: NodeJS.ProcessEnv = process.env): Promise<BasytecSession> {
  mkdirSync(dirname(device.cursorFile), { recursive: true });
  const store = await JsonFileCursorStore.open(device.cursorFile);
  const sources = await openSources(device, store, logger, env);
  const skipped = metrics.counter({ name: 'busbar_basytec_rows_skipped_total', help: 'BaSyTec rows (or files) a source skipped as malformed, per device, source and code.', labelNames: ['device', 'source', 'code'] });
  const report = (source: string, errors: readonly BasytecError[]): void => {
    for (const e of errors) {
      skipped.inc({ device: device.id, source, code: e.code });
      logger.warn({ source, code: e.code, context: e.context }, e.message);
    }
  };
  const mode = device.timestampSource;
  const maxRows = device.resultFiles?.maxRowsPerPoll ?? 0;
  const dbTs = device.database === undefined ? 'elapsed' : dbTimestampSource(device.database.mapping.data.columns);
  let rci: RciClient | undefined;
  let rciOpening: Promise<RciClient> | undefined;
  let closed = false;

  const connectRci = async (): Promise<RciClient> => {
    const r = device.rci;
    if (r === undefined) throw new BusbarError('BB_BASYTEC_RCI_NOT_CONFIGURED', `tester ${device.id} has no rci section`, { outcome: 'not_sent' });
    const transport = r.serialPath !== undefined
      ? await openSerialTransport({ path: r.serialPath, baudRate: r.baudRate })
      : await connectTcpTransport({ host: r.host!, port: r.port!, connectTimeoutMs: r.connectTimeoutMs });
    const client = new RciClient({ transport, templates: r.templates, terminator: r.terminator, ratePerSecond: r.ratePerSecond, defaultTimeoutMs: r.defaultTimeoutMs, inFlight: r.inFlight, logger });
    void client.lost.then((e) => logger.warn({ err: e.message }, 'RCI connection lost; the next command connects again'));
    return client;
  };

  return {
    lost: Promise.race([sources.tailer?.lost ?? neverLost, sources.db?.connection.lost ?? neverLost]),
    poll: async () => {
      const batches: SourceBatch[] = [];
      const t = sources.tailer;
      if (t !== undefined) {
        let rows = 0;
        while (rows < maxRows) {
          const b = await t.nextReady();
          if (b === undefined) break;
          rows += b.rows.length;
          report('file', b.errors);
          batches.push(fileBatch(b, t, mode));
        }
      }
      const db = sources.db;
      if (db !== undefined) {
        for (const b of await db.src.poll()) {
          report('db', b.errors);
          batches.push(dbBatch(b, db.name, db.src, dbTs));
        }
      }
      return { batches };
    },
    rci: async () => {
      if (closed) throw new BusbarError('BB_BASYTEC_RCI_CLOSED', `tester ${device.id}: the session is closed`, { outcome: 'not_sent' });
      if (rci !== undefined && !(await isLost(rci))) return rci;
      rciOpening ??= connectRci().finally(() => (rciOpening = undefined));
      rci = await rciOpening;
      return rci;
    },
    close: async () => {
      closed = true;
      await rci?.close().catch(() => undefined);
      await sources.close();
    },
  };
}

/** Whether an RCI client's transport is gone (its `lost` has settled). */
async function isLost(client: RciClient): Promise<boolean> {
  const marker = Symbol('open');
  return (await Promise.race([client.lost, Promise.resolve(marker)])) !== marker;
}

/**
 * The newest `n` rows of each test of each source, read with throw-away in-memory cursors (the
 * persisted cursors are neither read nor advanced): what `--test` prints. Reads every file to its
 * end and the database up to `maxDbRows` rows per test.
 *
 * @throws the sources' open or read errors (see {@link openBasytecSession}).
 */
export async function newestRows(device: BasytecDeviceConfig, n: number, logger: Logger, env: NodeJS.ProcessEnv = process.env, maxDbRows = 1_000_000): Promise<BasytecPoll> {
  const sources = await openSources(device, new MemoryCursorStore(), logger, env);
  const last = new Map<string, SourceBatch>();
  const keep = (b: SourceBatch): void => {
    const key = `${b.source}|${b.origin}`;
    const prev = last.get(key);
    const rows = [...(prev?.rows ?? []), ...b.rows].slice(-n);
    last.set(key, { ...b, rows, errors: [], ack: () => Promise.resolve() });
  };
  try {
    const t = sources.tailer;
    if (t !== undefined) {
      for (let b = await t.nextReady(); b !== undefined; b = await t.nextReady()) {
        await t.ack(b);
        keep(fileBatch(b, t, device.timestampSource));
      }
    }
    const db = sources.db;
    if (db !== undefined) {
      const ts = dbTimestampSource(device.database!.mapping.data.columns);
      const read = new Map<string, number>();
      for (;;) {
        const batches = (await db.src.poll()).filter((b) => (read.get(b.test.id) ?? 0) < maxDbRows);
        if (batches.length === 0) break;
        for (const b of batches) {
          read.set(b.test.id, (read.get(b.test.id) ?? 0) + b.rows.length);
          keep(dbBatch(b, db.name, db.src, ts));
        }
      }
    }
  } finally {
    await sources.close();
  }
  return { batches: [...last.values()].filter((b) => b.rows.length > 0) };
}
