/**
 * Live tailing against the simulator writing a real growing Resultfile: the tailer is stopped
 * (once gracefully, once "killed" with a batch delivered but not acknowledged) and restarted while
 * the file grows (25 rows/s); every DataSet must be acknowledged exactly once. Bounded to ~13 s;
 * BASYTEC_TAIL_LONG=1 runs the 10-minute version of issue 14's acceptance (6000 rows at 10 rows/s).
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonFileCursorStore } from '../../src/client/cursor-store.js';
import { ResultfileTailer } from '../../src/client/tailer.js';
import type { TailBatch } from '../../src/client/tailer.js';
import { startBasytecSimulator } from '../../src/simulator/simulator.js';
import { ResultfileFormat } from '../../src/simulator/resultfile-writer.js';
import { simulateRows, DEFAULT_PLAN } from '../../src/simulator/model.js';

const LONG = process.env['BASYTEC_TAIL_LONG'] === '1';
const TOTAL = LONG ? 6000 : 300;
/**
 * The short run writes its 300 rows at 25 rows/s (12 s; the three runs and two pauses below, 3 + 1.5
 * + 3 + 1 s, all fall while the file grows), the long one its 6000 at 10 rows/s.
 */
const ROWS_PER_S = LONG ? 10 : 25;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'busbar-basytec-tail-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Pulls and acknowledges batches until the deadline; a pull still waiting then is handed back, never dropped. */
async function consume(t: ResultfileTailer, acked: number[], untilMs: number, stopWhen?: () => boolean): Promise<Promise<TailBatch | undefined> | undefined> {
  const deadline = Date.now() + untilMs;
  let pending: Promise<TailBatch | undefined> | undefined;
  while (Date.now() < deadline && stopWhen?.() !== true) {
    pending ??= t.next();
    const b = await Promise.race([pending, new Promise<'tick'>((r) => setTimeout(() => r('tick'), 200))]);
    if (b === 'tick') continue;
    pending = undefined;
    if (b === undefined) break;
    expect(b.errors).toEqual([]);
    acked.push(...b.rows.map((r) => r.data_set));
    await t.ack(b);
  }
  return pending;
}

describe('ResultfileTailer on a growing file', () => {
  it(`stopped and restarted twice while the file grows at ${ROWS_PER_S} rows/s → DataSet 1..${TOTAL} acknowledged exactly once`, async () => {
    const exportDir = join(dir, 'export');
    await import('node:fs/promises').then((f) => f.mkdir(exportDir));
    const cursorFile = join(dir, 'cursors.json');
    const phase = LONG ? 150_000 : 3_000;
    await using sim = await startBasytecSimulator({
      rowsPerSecond: ROWS_PER_S,
      maxRows: TOTAL,
      resultfile: { dir: exportDir, fileName: 'ch07_test.txt', format: { separator: 'space', dateTimeColumn: true, encoding: 'latin1', testName: 'tail_test', channel: '0102 CH07 CTS' } },
    });
    const acked: number[] = [];
    const delivered: number[] = [];

    // run 1: consume, then stop gracefully
    let t = await ResultfileTailer.open({ dir: exportDir, store: await JsonFileCursorStore.open(cursorFile), timeZone: 'Europe/Berlin', pollIntervalMs: 200 });
    const waiting1 = await consume(t, acked, phase);
    await t.close();
    // a pull still waiting at close ends with the tailer (undefined) or hands out a batch nobody acknowledges
    delivered.push(...((await waiting1)?.rows.map((r) => r.data_set) ?? []));
    const afterRun1 = acked.length;
    expect(afterRun1).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, LONG ? 60_000 : 1_500)); // stopped while the file grows

    // run 2: consume, then "crash": one batch delivered but never acknowledged
    t = await ResultfileTailer.open({ dir: exportDir, store: await JsonFileCursorStore.open(cursorFile), timeZone: 'Europe/Berlin', pollIntervalMs: 200 });
    const waiting2 = await consume(t, acked, phase);
    const unacked = await (waiting2 ?? t.next());
    expect(unacked).toBeDefined();
    delivered.push(...(unacked?.rows.map((r) => r.data_set) ?? []));
    await t.close();
    expect(acked.length).toBeGreaterThan(afterRun1);
    await new Promise((r) => setTimeout(r, LONG ? 60_000 : 1_000));

    // a re-export of the same test under another name while stopped: de-duplicated on (test, channel, start, DataSet)
    await copyFile(sim.filePath!, join(exportDir, 'ch07_test_reexport.txt'));

    // run 3: until the simulator is done and every row is read
    t = await ResultfileTailer.open({ dir: exportDir, store: await JsonFileCursorStore.open(cursorFile), timeZone: 'Europe/Berlin', pollIntervalMs: 200 });
    await sim.done;
    await consume(t, acked, LONG ? 120_000 : 20_000, () => new Set(acked).size >= TOTAL);
    await t.close();

    expect(delivered.length).toBeGreaterThan(0);
    // the unacknowledged batch of run 2 came again in run 3
    for (const d of delivered) expect(acked).toContain(d);
    const sorted = [...acked].sort((a, b) => a - b);
    expect(sorted).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    const stored = JSON.parse(await readFile(cursorFile, 'utf8')) as { cursors: Record<string, unknown> };
    expect(Object.values(stored.cursors)).toContain(TOTAL);
  }, LONG ? 900_000 : 90_000);

  it('a rewritten file (truncated, new test) is read again from its start; the same test rewritten is de-duplicated', async () => {
    const store = await JsonFileCursorStore.open(join(dir, 'c.json'));
    const file = join(dir, 'a.txt');
    const rows = [...simulateRows({ plan: DEFAULT_PLAN, sample_s: 10 })].slice(0, 30);
    const f1 = new ResultfileFormat({ testName: 'one' });
    await writeFile(file, Buffer.concat([f1.preamble(), f1.rows(rows.slice(0, 20))]));
    const t = await ResultfileTailer.open({ dir, store, timeZone: 'UTC', pollIntervalMs: 50, watch: false });
    const b1 = await t.next();
    expect(b1?.rows.map((r) => r.data_set)).toEqual(rows.slice(0, 20).map((r) => r.dataSet));
    await t.ack(b1!);
    // the software rewrites the same test's export, longer (same inode, same preamble): only new rows
    await writeFile(file, Buffer.concat([f1.preamble(), f1.rows(rows.slice(0, 10))]));
    await writeFile(file, Buffer.concat([f1.preamble(), f1.rows(rows.slice(0, 30))]));
    const b2 = await t.next();
    expect(b2?.rows.map((r) => r.data_set)).toEqual(rows.slice(20, 30).map((r) => r.dataSet));
    await t.ack(b2!);
    // a new test written over the file (shorter): detected by the size shrink, read from its start
    const f2 = new ResultfileFormat({ testName: 'two' });
    await writeFile(file, Buffer.concat([f2.preamble(), f2.rows(rows.slice(0, 5))]));
    const b3 = await t.next();
    expect(b3?.restarted).toBe(true);
    expect(b3?.test.testName).toBe('two');
    expect(b3?.rows.map((r) => r.data_set)).toEqual([1, 2, 3, 4, 5]);
    await t.ack(b3!);
    await t.close();
  });

  it('concurrent next() calls never read the same rows twice', async () => {
    const f = new ResultfileFormat();
    const rows = [...simulateRows({ plan: DEFAULT_PLAN, sample_s: 1, cycles: 3 })].slice(0, 3000);
    expect(rows).toHaveLength(3000);
    await writeFile(join(dir, 'big.txt'), Buffer.concat([f.preamble(), f.rows(rows)]));
    const t = await ResultfileTailer.open({ dir, store: await JsonFileCursorStore.open(join(dir, 'c.json')), timeZone: 'UTC', pollIntervalMs: 50, watch: false, readChunkBytes: 4096 });
    const seen: number[] = [];
    const worker = async (): Promise<void> => {
      for (;;) {
        const b = await t.next();
        if (b === undefined) return;
        seen.push(...b.rows.map((r) => r.data_set));
        await t.ack(b);
        if (seen.length >= 3000) await t.close();
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(seen.sort((a, b) => a - b)).toEqual(rows.map((r) => r.dataSet));
  }, 30_000);

  it('nextReady() never waits: one sweep, the rows there are, then undefined until the file grows', async () => {
    const f = new ResultfileFormat();
    const rows = [...simulateRows({ plan: DEFAULT_PLAN, sample_s: 1 })].slice(0, 30);
    const file = join(dir, 'r.txt');
    await writeFile(file, Buffer.concat([f.preamble(), f.rows(rows.slice(0, 10))]));
    // a poll interval of an hour: a waiting next() would hang the test
    const t = await ResultfileTailer.open({ dir, store: await JsonFileCursorStore.open(join(dir, 'c.json')), timeZone: 'UTC', pollIntervalMs: 3_600_000, watch: false });
    const a = await t.nextReady();
    expect(a?.rows.map((r) => r.data_set)).toEqual(rows.slice(0, 10).map((r) => r.dataSet));
    await t.ack(a!);
    expect(await t.nextReady()).toBeUndefined();
    await writeFile(file, Buffer.concat([f.preamble(), f.rows(rows)]));
    const b = await t.nextReady();
    expect(b?.rows.map((r) => r.data_set)).toEqual(rows.slice(10).map((r) => r.dataSet));
    expect(await t.nextReady()).toBeUndefined();
    await t.close();
    expect(await t.nextReady()).toBeUndefined();
  });

  it('a file that is not a Resultfile is reported once with BB_BASYTEC_NOT_A_RESULTFILE; others go on', async () => {
    await writeFile(join(dir, 'notes.txt'), 'hello\n');
    const f = new ResultfileFormat();
    await writeFile(join(dir, 'z.txt'), Buffer.concat([f.preamble(), f.rows([...simulateRows({ plan: DEFAULT_PLAN })].slice(0, 3))]));
    const t = await ResultfileTailer.open({ dir, store: await JsonFileCursorStore.open(join(dir, 'c.json')), timeZone: 'UTC', pollIntervalMs: 50, watch: false });
    const a = await t.next();
    expect(a?.file).toBe('notes.txt');
    expect(a?.errors.map((e) => e.code)).toEqual(['BB_BASYTEC_NOT_A_RESULTFILE']);
    const b = await t.next();
    expect(b?.file).toBe('z.txt');
    expect(b?.rows).toHaveLength(3);
    await t.close();
    expect(await t.next()).toBeUndefined();
  });
});
