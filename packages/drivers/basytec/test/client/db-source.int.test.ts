/**
 * The database source against real servers started by @busbar/testkit — PostgreSQL 15 and
 * MariaDB 10.11 from Debian — and an SQLite backup file (node:sqlite), each filled by the
 * simulator through the example mapping. The source is restarted mid-way with one batch read but
 * not acknowledged; every DataSet must be acknowledged exactly once, with the simulated values.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mariadb from 'mariadb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariadb, startPostgres } from '@busbar/testkit';
import type { MariadbHandle, PostgresHandle } from '@busbar/testkit';
import { JsonFileCursorStore } from '../../src/client/cursor-store.js';
import { DatabaseSource, EXAMPLE_DB_MAPPING } from '../../src/client/db-source.js';
import type { DbBatch } from '../../src/client/db-source.js';
import { connectMariadb, connectPostgres, openSqlite } from '../../src/client/sql.js';
import type { SqlConnection, SqlServerOptions } from '../../src/client/sql.js';
import { sqlDbSink } from '../../src/simulator/db-sink.js';
import { DEFAULT_PLAN, simulateRows } from '../../src/simulator/model.js';
import { startBasytecSimulator } from '../../src/simulator/simulator.js';

const ROWS = 80;
function expectedRows(n: number) {
  const out = [];
  for (const r of simulateRows({ plan: DEFAULT_PLAN, cycles: Infinity })) {
    out.push(r);
    if (out.length >= n) break;
  }
  return out;
}
const START_UTC = Date.UTC(2025, 0, 1, 7, 0, 0); // 08:00 Europe/Berlin

let dir: string;
let postgres: PostgresHandle;
let maria: MariadbHandle;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'busbar-basytec-db-'));
  postgres = await startPostgres();
  maria = await startMariadb();
  const c = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: 'postgres' });
  await c.connect();
  await c.query('CREATE DATABASE basytec');
  await c.end();
  const m = await mariadb.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password });
  await m.query('CREATE DATABASE basytec');
  await m.end();
});
afterAll(async () => {
  await postgres?.dispose();
  await maria?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function runLive(name: string, connect: (o: SqlServerOptions) => Promise<SqlConnection>, server: () => { host: string; port: number; user: string; password: string }) {
  const s = server();
  const opts = { host: s.host, port: s.port, user: s.user, password: s.password, database: 'basytec' };
  const writer = await connect({ ...opts, readOnly: false });
  const cursorFile = join(dir, `${name}-cursors.json`);
  await using sim = await startBasytecSimulator({ rowsPerSecond: 10, maxRows: ROWS, db: { sink: sqlDbSink(writer), testId: 7 } });
  const acked: number[] = [];
  const ackedRows: DbBatch['rows'][number][] = [];
  const consume = async (src: DatabaseSource, ms: number, leaveOneUnacked: boolean): Promise<boolean> => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const batches = await src.poll();
      for (const b of batches) {
        expect(b.errors).toEqual([]);
        if (leaveOneUnacked && Date.now() + 1500 > until) return b.rows.length > 0; // read, never acknowledged
        acked.push(...b.rows.map((r) => r.data_set));
        ackedRows.push(...b.rows);
        await src.ack(b);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    return false;
  };
  // run 1, then "crash" with a batch read but not acknowledged
  let conn = await connect(opts);
  const leftUnacked = await consume(new DatabaseSource({ name, connection: conn, mapping: EXAMPLE_DB_MAPPING, store: await JsonFileCursorStore.open(cursorFile), timeZone: 'Europe/Berlin', batchRows: 7 }), 4000, true);
  expect(leftUnacked).toBe(true);
  const ackedInRun1 = acked.length;
  expect(ackedInRun1).toBeGreaterThan(0);
  await conn.close();
  // the source is read-only: a write through its connection is refused by the server
  conn = await connect(opts);
  await expect(conn.query(`INSERT INTO tests (test_id, test_name, channel, start_time) VALUES (99, 'x', 'y', '2025-01-01 00:00:00')`)).rejects.toMatchObject({ code: 'BB_BASYTEC_DB_QUERY_FAILED', message: expect.stringMatching(/read.only/i) });
  // run 2 until the simulator is done and everything is read
  const src = new DatabaseSource({ name, connection: conn, mapping: EXAMPLE_DB_MAPPING, store: await JsonFileCursorStore.open(cursorFile), timeZone: 'Europe/Berlin', batchRows: 7 });
  await sim.done;
  for (let i = 0; i < 50 && new Set(acked).size < ROWS; i++) await consume(src, 400, false);
  await conn.close();
  await writer.close();
  expect([...acked].sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
  const exp = expectedRows(ROWS);
  for (const r of ackedRows) {
    const e = exp[r.data_set - 1]!;
    expect(r).toMatchObject({ line: e.line, command: e.command, state: e.state, elapsed_s: e.elapsed_s });
    expect(r.values).toMatchObject({ voltage_v: e.voltage_v, current_a: e.current_a, charge_ah: e.charge_ah, temperature_1_c: e.temperature_c });
    expect(r.timestampMs).toBe(START_UTC + Math.round(e.elapsed_s * 1000));
  }
}

describe('DatabaseSource on real servers, filled live by the simulator at 10 rows/s', () => {
  it('PostgreSQL 15: every DataSet exactly once across a restart, values as simulated, connection read-only', async () => {
    await runLive('pg', connectPostgres, () => postgres);
  });
  it('MariaDB 10.11: the same', async () => {
    await runLive('maria', connectMariadb, () => maria);
  });
});

describe('SQLite backup import (node:sqlite)', () => {
  it('imports a backup file once; a second import finds nothing new; the file is opened read-only', async () => {
    const file = join(dir, 'backup.sqlite');
    const w = await openSqlite(file, false);
    const sink = sqlDbSink(w);
    await sink.begin({ testId: 3, name: 'backup_test', channel: '0001 CH02 SIM', start: '01.01.2025 08:00:00' });
    const rows = expectedRows(250);
    await sink.write(rows.slice(0, 100));
    await sink.write(rows.slice(100));
    await w.close();
    const store = await JsonFileCursorStore.open(join(dir, 'sqlite-cursors.json'));
    const conn = await openSqlite(file);
    const src = new DatabaseSource({ name: 'backup', connection: conn, mapping: EXAMPLE_DB_MAPPING, store, timeZone: 'Europe/Berlin', batchRows: 100 });
    const got: number[] = [];
    for (;;) {
      const bs = await src.poll();
      if (bs.length === 0) break;
      for (const b of bs) {
        got.push(...b.rows.map((r) => r.data_set));
        await src.ack(b);
      }
    }
    expect(got).toEqual(rows.map((r) => r.dataSet));
    src.rewind();
    expect(await src.poll()).toEqual([]);
    await expect(conn.query("INSERT INTO tests (test_id) VALUES (5)")).rejects.toMatchObject({ code: 'BB_BASYTEC_DB_QUERY_FAILED', message: expect.stringMatching(/readonly/i) });
    await conn.close();
  });
});
