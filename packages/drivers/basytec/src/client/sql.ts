/**
 * SQL connections of the database source, one interface over PostgreSQL (`pg`), MariaDB/MySQL
 * (`mariadb`) and SQLite backup files (Node's built-in `node:sqlite`, no flag needed on Node 24;
 * no native build). The BaSyTec software keeps its data in MySQL, MariaDB or PostgreSQL and backs
 * up to SQLite (reference §2, §5 [VENDOR-NOTE]). Sources open them **read-only**: PostgreSQL with
 * `default_transaction_read_only=on`, MariaDB with `SET SESSION TRANSACTION READ ONLY`, SQLite
 * with `readOnly: true` — the telemetry path must never write, least of all to the test queue.
 * A connection is opened once; its loss is exposed as `lost` (no reconnection here).
 */
import { DatabaseSync } from 'node:sqlite';
import mariadb from 'mariadb';
import type { Connection as MariadbConnection } from 'mariadb';
import pg from 'pg';
import { BasytecError } from '../errors.js';

/** SQL dialects (identifier quoting and placeholders differ). */
export type SqlDialect = 'postgres' | 'mariadb' | 'sqlite';

/** A connection. `?` placeholders in `sql` are rewritten to `$n` for PostgreSQL. */
export interface SqlConnection {
  readonly dialect: SqlDialect;
  /**
   * Runs a statement.
   * @throws {BasytecError} `BB_BASYTEC_DB_QUERY_FAILED` with the driver's message.
   */
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Resolves with the reason when the connection is gone. */
  readonly lost: Promise<Error>;
  close(): Promise<void>;
}

/** Connection options common to the servers. */
export interface SqlServerOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Open read-only (sources). `false` only for the simulator's writer. @default true */
  readonly readOnly?: boolean;
}

/** Quotes an identifier after checking it is a plain name (mappings come from configuration). */
export function quoteIdent(dialect: SqlDialect, name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `database identifier ${JSON.stringify(name)} must match [A-Za-z_][A-Za-z0-9_]*`, { context: { field: 'mapping', identifier: name } });
  }
  return dialect === 'mariadb' ? `\`${name}\`` : `"${name}"`;
}

function failed(dialect: SqlDialect, sql: string, err: unknown): BasytecError {
  return new BasytecError('BB_BASYTEC_DB_QUERY_FAILED', `${dialect}: ${(err as Error).message}`, { cause: err, retriable: true, context: { dialect, sql: sql.slice(0, 200) } });
}

/**
 * Connects to PostgreSQL.
 * @throws {BasytecError} `BB_BASYTEC_DB_QUERY_FAILED` when the connection fails.
 */
export async function connectPostgres(o: SqlServerOptions): Promise<SqlConnection> {
  const client = new pg.Client({
    host: o.host, port: o.port, user: o.user, password: o.password, database: o.database,
    options: o.readOnly === false ? undefined : '-c default_transaction_read_only=on',
  });
  let resolveLost!: (e: Error) => void;
  const lost = new Promise<Error>((r) => (resolveLost = r));
  client.on('error', (e) => resolveLost(failed('postgres', '', e)));
  client.on('end', () => resolveLost(new BasytecError('BB_BASYTEC_DB_QUERY_FAILED', 'postgres: connection ended', { retriable: true })));
  try {
    await client.connect();
  } catch (err) {
    throw failed('postgres', 'connect', err);
  }
  return {
    dialect: 'postgres',
    lost,
    async query(sql, params = []) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      try {
        return (await client.query(text, params as unknown[])).rows as Record<string, unknown>[];
      } catch (err) {
        throw failed('postgres', sql, err);
      }
    },
    close: () => client.end().catch(() => undefined),
  };
}

/**
 * Connects to MariaDB or MySQL.
 * @throws {BasytecError} `BB_BASYTEC_DB_QUERY_FAILED` when the connection fails.
 */
export async function connectMariadb(o: SqlServerOptions): Promise<SqlConnection> {
  let conn: MariadbConnection;
  try {
    conn = await mariadb.createConnection({ host: o.host, port: o.port, user: o.user, password: o.password, database: o.database, bigIntAsNumber: true, decimalAsNumber: true, dateStrings: true });
    if (o.readOnly !== false) await conn.query('SET SESSION TRANSACTION READ ONLY');
  } catch (err) {
    throw failed('mariadb', 'connect', err);
  }
  let resolveLost!: (e: Error) => void;
  const lost = new Promise<Error>((r) => (resolveLost = r));
  conn.on('error', (e: Error) => resolveLost(failed('mariadb', '', e)));
  conn.on('end', () => resolveLost(new BasytecError('BB_BASYTEC_DB_QUERY_FAILED', 'mariadb: connection ended', { retriable: true })));
  return {
    dialect: 'mariadb',
    lost,
    async query(sql, params = []) {
      try {
        const r: unknown = await conn.query(sql, params as unknown[]);
        return Array.isArray(r) ? (r as Record<string, unknown>[]) : [];
      } catch (err) {
        throw failed('mariadb', sql, err);
      }
    },
    close: () => conn.end().catch(() => undefined),
  };
}

/**
 * Opens an SQLite file (a BaSyTec SQLite backup, reference §2) with `node:sqlite`.
 * @param readOnly - @default true
 * @throws {BasytecError} `BB_BASYTEC_DB_QUERY_FAILED` when the file cannot be opened.
 */
export function openSqlite(path: string, readOnly = true): Promise<SqlConnection> {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly });
  } catch (err) {
    return Promise.reject(failed('sqlite', `open ${path}`, err));
  }
  return Promise.resolve({
    dialect: 'sqlite',
    lost: new Promise<Error>(() => undefined),
    query(sql, params = []) {
      try {
        const stmt = db.prepare(sql);
        if (/^\s*(select|with|pragma)\b/i.test(sql)) return Promise.resolve(stmt.all(...(params as (string | number | null)[])) as Record<string, unknown>[]);
        stmt.run(...(params as (string | number | null)[]));
        return Promise.resolve([]);
      } catch (err) {
        return Promise.reject(failed('sqlite', sql, err));
      }
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  });
}
