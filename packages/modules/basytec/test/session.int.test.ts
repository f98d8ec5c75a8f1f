/**
 * The BaSyTec session on real files, a real SQLite backup (node:sqlite) and the RCI simulator over
 * TCP: polls never wait, cursors persist only through acknowledge, a new session resumes after
 * them, `--test`'s newest rows leave them alone, and RCI is connected on the first command and
 * again after its loss.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { Command } from '@busbar/avro';
import { DEFAULT_PLAN, EXAMPLE_DB_MAPPING, EXAMPLE_RCI_TEMPLATES, ResultfileFormat, openSqlite, simulateRows, sqlDbSink, startRciSimulator } from '@busbar/driver-basytec';
import type { RciSimulator } from '@busbar/driver-basytec';
import { createBasytecModule, resolveBasytecDevice } from '../src/module.js';
import { basytecDevicesSchema } from '../src/device-config.js';
import type { BasytecDeviceConfig } from '../src/device-config.js';
import { newestRows } from '../src/session.js';

const ctx = { logger: noopLogger, metrics: noopMetrics };
const rows = [...simulateRows({ plan: DEFAULT_PLAN, sample_s: 1 })].slice(0, 40);
let dir: string;
let rci: RciSimulator | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'busbar-basytec-session-'));
  await mkdir(join(dir, 'export'));
});
afterEach(async () => {
  await rci?.close();
  rci = undefined;
  await rm(dir, { recursive: true, force: true });
});

function device(extra: Record<string, unknown> = {}): BasytecDeviceConfig {
  return resolveBasytecDevice(basytecDevicesSchema.parse([{ id: 'bt-1', timeZone: 'Europe/Berlin', pollIntervalMs: 100, resultFiles: { dir: 'export', maxRowsPerPoll: 15, readChunkBytes: 1024 }, ...extra }])[0]!, dir, dir);
}

async function writeExport(n: number, fmt = new ResultfileFormat({ testName: 'cell_A', channel: '0101 CH03 SIM', plan: 'capacity.pln' })): Promise<void> {
  await writeFile(join(dir, 'export', 'cell_A.txt'), Buffer.concat([fmt.preamble(), fmt.rows(rows.slice(0, n))]));
}

describe('module-basytec > session (files, SQLite, RCI simulator)', () => {
  it('polls without waiting, at most maxRowsPerPoll rows; a new session resumes after the acknowledged rows only', async () => {
    const m = createBasytecModule();
    const d = device();
    await writeExport(25);
    const s1 = await m.open(d, ctx);
    const p1 = await m.poll(s1, d);
    const got1 = p1.batches.flatMap((b) => b.rows.map((r) => r.data_set));
    expect(got1.length).toBeGreaterThanOrEqual(15);
    expect(got1).toEqual(rows.slice(0, got1.length).map((r) => r.dataSet));
    expect(p1.batches[0]).toMatchObject({ source: 'file', origin: 'cell_A.txt', timestampSource: 'elapsed', test: { name: 'cell_A', channel: '0101 CH03 SIM', plan: 'capacity.pln' } });
    await m.acknowledge!(s1, d, p1);
    const p2 = await m.poll(s1, d); // read, never acknowledged
    const got2 = p2.batches.flatMap((b) => b.rows.map((r) => r.data_set));
    expect(got2).toEqual(rows.slice(got1.length, 25).map((r) => r.dataSet));
    expect((await m.poll(s1, d)).batches).toEqual([]); // nothing new: returns at once
    await s1.close();

    await writeExport(40);
    const s2 = await m.open(d, ctx);
    const again: number[] = [];
    for (let p = await m.poll(s2, d); p.batches.length > 0; p = await m.poll(s2, d)) {
      again.push(...p.batches.flatMap((b) => b.rows.map((r) => r.data_set)));
      await m.acknowledge!(s2, d, p);
    }
    expect(again).toEqual(rows.slice(got1.length, 40).map((r) => r.dataSet)); // the unacknowledged rows come again, nothing skipped
    await s2.close();
  });

  it('a re-export of the same test under another name publishes only the rows not yet acknowledged (test, channel, start, DataSet)', async () => {
    const m = createBasytecModule();
    const d = device({ resultFiles: { dir: 'export', maxRowsPerPoll: 1000 } });
    await writeExport(25);
    const s = await m.open(d, ctx);
    const drain = async (): Promise<number[]> => {
      const got: number[] = [];
      for (let p = await m.poll(s, d); p.batches.length > 0; p = await m.poll(s, d)) {
        got.push(...p.batches.flatMap((b) => b.rows.map((r) => r.data_set)));
        await m.acknowledge!(s, d, p);
      }
      return got;
    };
    expect(await drain()).toEqual(rows.slice(0, 25).map((r) => r.dataSet));
    const fmt = new ResultfileFormat({ testName: 'cell_A', channel: '0101 CH03 SIM', plan: 'capacity.pln' });
    await writeFile(join(dir, 'export', 'cell_A (re-export).txt'), Buffer.concat([fmt.preamble(), fmt.rows(rows.slice(0, 30))]));
    expect(await drain()).toEqual(rows.slice(25, 30).map((r) => r.dataSet));
    // another test (other start) with the same name and channel is a new test: all its rows
    const other = new ResultfileFormat({ testName: 'cell_A', channel: '0101 CH03 SIM', start: { year: 2025, month: 2, day: 1, hour: 8, minute: 0, second: 0 } });
    await writeFile(join(dir, 'export', 'cell_A second run.txt'), Buffer.concat([other.preamble(), other.rows(rows.slice(0, 4))]));
    expect(await drain()).toEqual([1, 2, 3, 4]);
    await s.close();
  });

  it('reads an SQLite backup through the mapping beside the files; newest rows leave the cursors alone', async () => {
    const file = join(dir, 'backup.sqlite');
    const w = await openSqlite(file, false);
    const sink = sqlDbSink(w);
    await sink.begin({ testId: 3, name: 'db_test', channel: '0001 CH02 SIM', start: '01.01.2025 08:00:00' });
    await sink.write(rows.slice(0, 30));
    await w.close();
    await writeExport(12, new ResultfileFormat({ testName: 'cell_A', channel: '0101 CH03 SIM', dateTimeColumn: true }));
    const d = device({ database: { engine: 'sqlite', path: 'backup.sqlite', name: 'backup', mapping: EXAMPLE_DB_MAPPING, batchRows: 100 } });

    const newest = await newestRows(d, 3, noopLogger);
    expect(newest.batches.map((b) => [b.source, b.origin, b.timestampSource, b.rows.map((r) => r.data_set)])).toEqual([
      ['file', 'cell_A.txt', 'clock', [10, 11, 12]],
      ['db', 'backup:3', 'elapsed', [28, 29, 30]],
    ]);

    const m = createBasytecModule();
    const s = await m.open(d, ctx);
    const p = await m.poll(s, d);
    const count = (src: string): number => p.batches.filter((b) => b.source === src).reduce((n, b) => n + b.rows.length, 0);
    expect([count('file'), count('db')]).toEqual([12, 30]); // the file in 1 KiB chunks, the database in one query
    const db = p.batches.at(-1)!;
    expect(db.source).toBe('db');
    expect(db.test).toEqual({ name: 'db_test', channel: '0001 CH02 SIM', start: '2025-01-01 08:00:00' }); // the sink stores the start as SQL text
    expect(db.rows[0]!.timestampMs).toBe(Date.UTC(2025, 0, 1, 7, 0, 0)); // Start of Test in Europe/Berlin (UTC+1) + 0 s
    await m.acknowledge!(s, d, p);
    expect((await m.poll(s, d)).batches).toEqual([]);
    await s.close();
  });

  it('runs start/stop over the RCI templates, connecting on the first command and again after the connection was lost', async () => {
    rci = await startRciSimulator({ templates: EXAMPLE_RCI_TEMPLATES, plans: ['capacity.pln'], replyDelayMs: 5 });
    const d = device({ rci: { host: '127.0.0.1', port: rci.port, templates: EXAMPLE_RCI_TEMPLATES, plans: ['capacity.pln'] } });
    await writeExport(1);
    const m = createBasytecModule();
    const s = await m.open(d, ctx);
    expect(rci.received).toEqual([]); // nothing connects or sends before a command
    const cmd = (action: string, parameters: Command['parameters'] = {}): Command => ({ command_id: 'c', issuer: 't', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: 'bt-1', channel: 3 }, action, parameters, dry_run: false });
    const run = (c: Command, beforeSend = (): void => undefined): Promise<Record<string, string>> => {
      const a = m.actions[c.action]!;
      const plan = a.validate(c, d) as never;
      return a.execute(s, plan, { command: c, beforeSend, clock: { nowMs: () => Date.now() }, logger: noopLogger } as never);
    };
    expect(await run(cmd('basytec.start_test', { plan: 'capacity.pln' }))).toEqual({ rci_command: 'start', rci_request: 'START 3 capacity.pln', rci_reply: 'OK START 3' });
    await expect(run(cmd('basytec.start_test', { plan: 'capacity.pln' }))).rejects.toMatchObject({ code: 'BB_BASYTEC_RCI_REFUSED', outcome: 'refused' });
    // an expired command: beforeSend throws after the slot, nothing is written
    const before = rci.received.length;
    await expect(run(cmd('basytec.stop_test'), () => {
      throw Object.assign(new Error('expired'), { code: 'BB_COMMAND_EXPIRED' });
    })).rejects.toMatchObject({ code: 'BB_COMMAND_EXPIRED' });
    expect(rci.received.length).toBe(before);
    // the RCI server restarts (connections dropped): the next command connects again, on the same session
    const port = rci.port;
    await rci.close();
    rci = await startRciSimulator({ templates: EXAMPLE_RCI_TEMPLATES, plans: ['capacity.pln'], replyDelayMs: 5, port });
    rci.channels.set('3', 'running');
    await new Promise((r) => setTimeout(r, 50));
    expect(await run(cmd('basytec.stop_test'))).toMatchObject({ rci_reply: 'OK STOP 3' });
    expect(rci.received.map((x) => x.line)).toEqual(['STOP 3']);
    await s.close();
  });
});
