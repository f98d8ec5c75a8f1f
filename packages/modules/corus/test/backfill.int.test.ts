/**
 * Log backfill against the driver's simulator (a Corus per itron-corus reference README §13) with
 * an in-memory publisher: every record once, in time order, with its own timestamp; the cursor
 * moves only after a successful publish; a stop mid-backfill and a restart with the same state
 * directory neither repeat nor lose a record.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorusSession, EXAMPLE_CORUS_MAP, ExactDecimal, startCorusSimulator, tcpTransport } from '@busbar/driver-itron-corus';
import type { CorusSimulator, LogRecord } from '@busbar/driver-itron-corus';
import { CursorStore } from '../src/cursor.js';
import { LogBackfill } from '../src/backfill.js';
import { deviceNowMs } from '../src/session.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function device(historyRecords = 40): Promise<{ sim: CorusSimulator; session: CorusSession }> {
  const sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, historyRecords, seed: 3 });
  const session = new CorusSession({ transport: tcpTransport({ host: sim.host, port: sim.port }), map: EXAMPLE_CORUS_MAP, logChunkS: 3600 });
  open.push(sim, session);
  return { sim, session };
}

function backfill(session: CorusSession, store: CursorStore, published: LogRecord[], publish?: (r: readonly LogRecord[]) => Promise<void>): LogBackfill {
  return new LogBackfill({
    deviceId: 'corus-1',
    logs: [{ name: 'interval', intervalS: 900 }],
    source: session,
    store,
    chunkS: 3600,
    lookbackS: 86_400,
    rescanS: 900,
    deviceNowMs: () => deviceNowMs(session),
    publish: publish ?? (async (r) => void published.push(...r)),
  });
}

/** The simulator's records as (device time → exact converted consumption), oldest first. */
function simRecords(sim: CorusSimulator): string[] {
  return sim.logRecords('interval').map((r) => r.endDate).reverse();
}

describe('modules > corus > backfill', () => {
  it('publishes every record of the device once, oldest first, with its own timestamp and exact values, and persists the cursor', async () => {
    const { sim, session } = await device(40);
    const dir = mkdtempSync(join(tmpdir(), 'corus-state-'));
    const store = new CursorStore(dir);
    const published: LogRecord[] = [];
    const n = await backfill(session, store, published).pass();
    expect(n).toBe(40);
    expect(published.map((r) => r.deviceTime)).toEqual(simRecords(sim));
    const newest = sim.logRecords('interval')[0]!;
    const last = published[published.length - 1]!;
    expect(last.timestamp.toISOString()).toBe(`${newest.endDate}.000Z`);
    const expected = newest.values.consumption_interval_converted as ExactDecimal;
    expect((last.values.consumption_interval_converted as ExactDecimal).toString()).toBe(expected.toString());
    expect(JSON.parse(readFileSync(join(dir, 'corus-1.json'), 'utf8'))).toEqual({ version: 1, device: 'corus-1', logs: { interval: { lastRecordMs: last.timestamp.getTime(), lastRecordDeviceTime: newest.endDate } } });
    expect(readdirSync(dir)).toEqual(['corus-1.json']); // no temp file left
    // nothing new: a second pass publishes nothing; new device records are picked up
    expect(await backfill(session, store, published).pass()).toBe(0);
    sim.advance(3 * 900);
    expect(await backfill(session, store, published).pass()).toBe(3);
    expect(published.map((r) => r.deviceTime)).toEqual(simRecords(sim));
  });

  it('a stop between windows and a restart with the same state directory: the union is every record exactly once', async () => {
    const { sim, session } = await device(40);
    const store = new CursorStore(mkdtempSync(join(tmpdir(), 'corus-state-')));
    const published: LogRecord[] = [];
    let windows = 0;
    const first = backfill(session, store, published, async (r) => {
      published.push(...r);
      windows++;
    });
    await first.pass(() => windows < 3); // stopped after three published windows
    expect(published.length).toBeGreaterThan(0);
    expect(published.length).toBeLessThan(40);
    sim.advance(2 * 900); // the device goes on logging meanwhile
    await backfill(session, store, published).pass(); // "restart": a new instance, same directory
    const times = published.map((r) => r.deviceTime);
    expect(new Set(times).size).toBe(times.length);
    expect(times).toEqual(simRecords(sim));
  });

  it('a failed publish leaves the cursor where it was; the window is published again, nothing is lost', async () => {
    const { sim, session } = await device(12);
    const dir = mkdtempSync(join(tmpdir(), 'corus-state-'));
    const store = new CursorStore(dir);
    const published: LogRecord[] = [];
    let calls = 0;
    const b = backfill(session, store, published, async (r) => {
      if (++calls === 2) throw new Error('broker down');
      published.push(...r);
    });
    await expect(b.pass()).rejects.toThrow('broker down');
    const afterFailure = (await store.load('corus-1')).interval!;
    expect(afterFailure.lastRecordDeviceTime).toBe(published[published.length - 1]!.deviceTime);
    await b.pass();
    expect(published.map((r) => r.deviceTime)).toEqual(simRecords(sim));
  });
});

describe('modules > corus > backfill > gaps', () => {
  const at = (min: number): Date => new Date(Date.UTC(2020, 9, 7, 0, min));
  const rec = (min: number): LogRecord => ({ log: 'interval', timestamp: at(min), deviceTime: at(min).toISOString().slice(0, 19), values: { n: ExactDecimal.from(min) } });

  it('re-requests a gap found by findLogGaps and publishes the completed window in time order', async () => {
    const requests: [string, string][] = [];
    const source = {
      async *readLog(_log: string, range: { since: Date; until?: Date }) {
        requests.push([range.since.toISOString(), range.until!.toISOString()]);
        const first = requests.length === 1;
        for (const m of [0, 15, 30, 45]) {
          const t = at(m).getTime();
          if (t < range.since.getTime() || t > range.until!.getTime()) continue;
          if (first && m === 15) continue; // the first read misses one record
          yield rec(m);
        }
      },
    };
    const published: LogRecord[][] = [];
    const b = new LogBackfill({ deviceId: 'd', logs: [{ name: 'interval', intervalS: 900 }], source, store: new CursorStore(mkdtempSync(join(tmpdir(), 'corus-state-'))), chunkS: 3600, lookbackS: 2700, rescanS: 0, deviceNowMs: async () => at(45).getTime(), publish: async (r) => void published.push([...r]) });
    expect(await b.pass()).toBe(4);
    expect(requests).toEqual([[at(0).toISOString(), at(45).toISOString()], [at(15).toISOString(), at(15).toISOString()]]);
    expect(published).toHaveLength(1); // one publish per window, after the gap was filled
    expect(published[0]!.map((r) => r.deviceTime)).toEqual([0, 15, 30, 45].map((m) => at(m).toISOString().slice(0, 19)));
  });

  it('moves on when a gap is still missing after the re-request (counted, not retried forever)', async () => {
    let requests = 0;
    const source = {
      async *readLog(_log: string, range: { since: Date; until?: Date }) {
        requests++;
        for (const m of [0, 30]) if (at(m).getTime() >= range.since.getTime() && at(m).getTime() <= range.until!.getTime()) yield rec(m);
      },
    };
    const published: LogRecord[] = [];
    const b = new LogBackfill({ deviceId: 'd', logs: [{ name: 'interval', intervalS: 900 }], source, store: new CursorStore(mkdtempSync(join(tmpdir(), 'corus-state-'))), chunkS: 3600, lookbackS: 1800, rescanS: 0, deviceNowMs: async () => at(30).getTime(), publish: async (r) => void published.push(...r) });
    const o = await b.window({ name: 'interval', intervalS: 900 }, at(30).getTime());
    expect(o).toEqual({ caughtUp: true, published: 2, missing: 1 });
    expect(requests).toBe(2);
  });
});
