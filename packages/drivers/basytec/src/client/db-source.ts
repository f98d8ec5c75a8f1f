/**
 * The database source: polls the BaSyTec software's database read-only for rows newer than a
 * persisted cursor (the `DataSet` of the last acknowledged row, per test), in small batches
 * (reference §5 "Proposed approach"). The schema is **not public**: tables and columns come from
 * a configured {@link DbMapping}; {@link EXAMPLE_DB_MAPPING} is an invented example that the
 * simulator writes — replace it with the names from your installation's schema dump.
 */
import { noopLogger } from '@busbar/core';
import type { Logger } from '@busbar/core';
import { compileRecordColumns, mapRecord, parseDbWallTime } from '../codec/record.js';
import type { RecordColumn } from '../codec/record.js';
import type { BasytecRow } from '../codec/resultfile.js';
import { ZoneConverter } from '../codec/timezone.js';
import { BasytecError, isBasytecError } from '../errors.js';
import type { CursorStore } from './cursor-store.js';
import { quoteIdent } from './sql.js';
import type { SqlConnection } from './sql.js';

/**
 * Where the data live. Reference §5: a tests table links each test to battery, channel and user
 * with start/end time and name; measured data live in separate tables (one per test, as read).
 */
export interface DbMapping {
  /** The tests table and its columns. */
  readonly tests: {
    readonly table: string;
    readonly id: string;
    readonly name: string;
    readonly channel: string;
    /** Start time column (local wall time of the test PC, like the files). */
    readonly start: string;
  };
  /** The measured data. */
  readonly data: {
    /** Table name; `{test_id}` is replaced by the test id for per-test tables (e.g. `measurements_{test_id}`). */
    readonly table: string;
    /** For one shared table: the column holding the test id. */
    readonly testIdColumn?: string;
    /** Monotonic row number column (the DataSet), the cursor. */
    readonly cursorColumn: string;
    /** Database column → Resultfile header it corresponds to (reference §3.3), e.g. `{ u_v: 'U[V]' }`. Must include the cursor column as `DataSet`. */
    readonly columns: Readonly<Record<string, string>>;
  };
}

/**
 * An **invented** example mapping (the real BaSyTec schema is not public, reference §5). The
 * simulator creates exactly these tables; a real installation needs its own names.
 */
export const EXAMPLE_DB_MAPPING: DbMapping = {
  tests: { table: 'tests', id: 'test_id', name: 'test_name', channel: 'channel', start: 'start_time' },
  data: {
    table: 'measurements_{test_id}',
    cursorColumn: 'data_set',
    columns: {
      data_set: 'DataSet', time_s: 'Time[s]', step_time_s: 't-Step[s]', line: 'Line', command: 'Command', state: 'State',
      u_v: 'U[V]', i_a: 'I[A]', p_w: 'P[W]', ah: 'Ah[Ah]', ah_step: 'Ah-Step', wh: 'Wh[Wh]', t1_c: 'T1[°C]', r_dc: 'R-DC', cyc_count: 'Cyc-Count',
    },
  },
};

/** Options of {@link DatabaseSource}. */
export interface DatabaseSourceOptions {
  /** Name of this source (cursor key prefix), e.g. `lab1-postgres`. */
  readonly name: string;
  readonly connection: SqlConnection;
  readonly mapping: DbMapping;
  readonly store: CursorStore;
  /** IANA zone of the test PC. */
  readonly timeZone: string;
  /** Rows per query. @default 1000 */
  readonly batchRows?: number;
  readonly logger?: Logger;
}

/** A test as listed in the tests table. */
export interface DbTest {
  readonly id: string;
  readonly name: string;
  readonly channel: string;
  readonly start: string;
}

/** New rows of one test; acknowledge with {@link DatabaseSource.ack}. */
export interface DbBatch {
  readonly test: DbTest;
  readonly rows: readonly BasytecRow[];
  /** Rows skipped (wrong type, missing DataSet). */
  readonly errors: readonly BasytecError[];
  /** Cursor after this batch (highest DataSet read). */
  readonly cursor: number;
  readonly seq: number;
}

const KEY = 'basytec.db:';

/** Polls the database; one instance per connection. */
export class DatabaseSource {
  private readonly cols: RecordColumn[];
  private readonly zone: ZoneConverter;
  private readonly log: Logger;
  private readonly read = new Map<string, number>();
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();

  /** @throws {BasytecError} `BB_BASYTEC_CONFIG_INVALID` for a bad mapping, `BB_BASYTEC_TIME_ZONE_INVALID`. */
  constructor(private readonly o: DatabaseSourceOptions) {
    this.cols = compileRecordColumns(o.mapping.data.columns);
    if (o.mapping.data.columns[o.mapping.data.cursorColumn] === undefined) {
      throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `mapping.data.cursorColumn ${o.mapping.data.cursorColumn} must be one of mapping.data.columns`, { context: { field: 'mapping.data.cursorColumn' } });
    }
    const d = o.connection.dialect;
    for (const n of [o.mapping.tests.table, o.mapping.tests.id, o.mapping.tests.name, o.mapping.tests.channel, o.mapping.tests.start, o.mapping.data.cursorColumn, ...Object.keys(o.mapping.data.columns)]) quoteIdent(d, n);
    if (!o.mapping.data.table.includes('{test_id}') && o.mapping.data.testIdColumn === undefined) {
      throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', 'mapping.data: either table contains {test_id} or testIdColumn is set', { context: { field: 'mapping.data' } });
    }
    this.zone = new ZoneConverter(o.timeZone);
    this.log = (o.logger ?? noopLogger).child({ component: 'basytec-db', source: o.name });
  }

  /**
   * The tests in the tests table.
   * @throws {BasytecError} `BB_BASYTEC_DB_QUERY_FAILED`.
   */
  async tests(): Promise<DbTest[]> {
    const d = this.o.connection.dialect;
    const t = this.o.mapping.tests;
    const q = (n: string): string => quoteIdent(d, n);
    const textType = d === 'mariadb' ? 'CHAR' : 'TEXT';
    const rows = await this.o.connection.query(
      `SELECT ${q(t.id)} AS test_id, ${q(t.name)} AS test_name, ${q(t.channel)} AS channel, CAST(${q(t.start)} AS ${textType}) AS start_time FROM ${q(t.table)} ORDER BY ${q(t.id)}`,
    );
    return rows.map((r) => ({ id: String(r['test_id']), name: String(r['test_name']), channel: String(r['channel']), start: String(r['start_time']) }));
  }

  /**
   * One polling round: for every test, the rows after its cursor (at most `batchRows` each).
   * The read position advances in memory; the persisted cursor only on {@link ack}. Concurrent
   * calls run one after the other.
   * @throws {BasytecError} `BB_BASYTEC_DB_QUERY_FAILED` (nothing advanced).
   */
  poll(): Promise<DbBatch[]> {
    // concurrent polls are served one after the other: two never read the same rows
    const p = this.chain.then(() => this.pollOnce());
    this.chain = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private async pollOnce(): Promise<DbBatch[]> {
    const out: DbBatch[] = [];
    for (const test of await this.tests()) {
      const b = await this.pollTest(test);
      if (b !== undefined) out.push(b);
    }
    return out;
  }

  /**
   * Persists the cursor of a batch (the collector calls it after Kafka acknowledged the rows).
   * @throws {BasytecError} `BB_BASYTEC_CURSOR_STORE_FAILED`.
   */
  async ack(batch: DbBatch): Promise<void> {
    const key = this.key(batch.test);
    const prev = (await this.o.store.get(key)) as number | undefined;
    if (prev !== undefined && prev >= batch.cursor) return;
    await this.o.store.setMany({ [key]: batch.cursor });
  }

  /** Forgets unacknowledged read positions: the next poll re-reads from the persisted cursors. */
  rewind(): void {
    this.read.clear();
  }

  private key(t: DbTest): string {
    return `${KEY}${this.o.name}:${JSON.stringify([t.id, t.name, t.channel, t.start])}`;
  }

  private async pollTest(test: DbTest): Promise<DbBatch | undefined> {
    const d = this.o.connection.dialect;
    const m = this.o.mapping.data;
    const q = (n: string): string => quoteIdent(d, n);
    const key = this.key(test);
    const stored = (await this.o.store.get(key)) as number | undefined;
    const after = Math.max(this.read.get(key) ?? -Infinity, stored ?? -Infinity);
    const from = Number.isFinite(after) ? after : -1;
    let table: string;
    const params: unknown[] = [from];
    if (m.table.includes('{test_id}')) {
      if (!/^[A-Za-z0-9_]+$/.test(test.id)) throw new BasytecError('BB_BASYTEC_DB_ROW_INVALID', `test id ${JSON.stringify(test.id)} cannot form a table name`, { context: { testId: test.id } });
      table = q(m.table.replace('{test_id}', test.id));
    } else {
      table = q(m.table);
    }
    const where = m.testIdColumn === undefined ? '' : ` AND ${q(m.testIdColumn)} = ?`;
    if (m.testIdColumn !== undefined) params.push(test.id);
    const select = Object.keys(m.columns).map((c) => q(c)).join(', ');
    const sql = `SELECT ${select} FROM ${table} WHERE ${q(m.cursorColumn)} > ?${where} ORDER BY ${q(m.cursorColumn)} LIMIT ${this.o.batchRows ?? 1000}`;
    let recs: Record<string, unknown>[];
    try {
      recs = await this.o.connection.query(sql, params);
    } catch (err) {
      // a per-test table that does not exist (yet): nothing to read
      if (isBasytecError(err) && /does not exist|doesn't exist|no such table/i.test(err.message)) return undefined;
      throw err;
    }
    if (recs.length === 0) return undefined;
    const wall = parseDbWallTime(test.start);
    const startedAtMs = wall === undefined ? undefined : this.zone.toUtcMs(wall);
    const rows: BasytecRow[] = [];
    const errors: BasytecError[] = [];
    let cursor = from;
    for (const rec of recs) {
      const c = Number(rec[m.cursorColumn]);
      if (Number.isFinite(c)) cursor = Math.max(cursor, c);
      try {
        rows.push(mapRecord(this.cols, rec, startedAtMs, this.zone));
      } catch (err) {
        if (!isBasytecError(err)) throw err;
        errors.push(err);
        this.log.warn({ test: test.name, code: err.code }, err.message);
      }
    }
    this.read.set(key, cursor);
    return { test, rows, errors, cursor, seq: ++this.seq };
  }
}
