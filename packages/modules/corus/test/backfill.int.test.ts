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
import type { CorusSimulator, LogEntry, LogRecord } from '@busbar/driver-itron-corus';
import type { Logger, Metrics } from '@busbar/core';
import { CursorStore } from '../src/cursor.js';
import { LogBackfill, type BackfillRecord, type LogBackfillOptions } from '../src/backfill.js';
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
    deviceClock: async () => ({ nowMs: await deviceNowMs(session), fromDevice: true }),
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
    expect(JSON.parse(readFileSync(join(dir, 'corus-1.json'), 'utf8'))).toEqual({ version: 1, device: 'corus-1', logs: { interval: { lastRecordMs: last.timestamp.getTime(), lastRecordDeviceTime: newest.endDate, lastRecordKey: Buffer.from(newest.bytes).toString('hex') } } });
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
  const entry = (min: number): LogEntry => ({ log: 'interval', deviceTime: { year: 2020, month: 10, day: 7, hour: Math.floor(min / 60), minute: min % 60, second: 0 }, key: `r${min}`, fields: { n: ExactDecimal.from(min) } });
  const inRange = (min: number, range: { since: Date; until: Date }): boolean => at(min).getTime() >= range.since.getTime() && at(min).getTime() <= range.until.getTime();
  const store = (): CursorStore => new CursorStore(mkdtempSync(join(tmpdir(), 'corus-state-')));

  it('re-requests a gap on the device grid and publishes the completed window in time order', async () => {
    const requests: [string, string][] = [];
    const source = {
      async readLogWindow(_log: string, range: { since: Date; until: Date }) {
        requests.push([range.since.toISOString(), range.until.toISOString()]);
        const first = requests.length === 1;
        return [0, 15, 30, 45].filter((m) => inRange(m, range) && !(first && m === 15)).map(entry); // the first read misses one record
      },
    };
    const published: LogRecord[][] = [];
    const b = new LogBackfill({ deviceId: 'd', logs: [{ name: 'interval', intervalS: 900 }], source, store: store(), chunkS: 3600, lookbackS: 2700, rescanS: 0, deviceClock: async () => ({ nowMs: at(45).getTime(), fromDevice: true }), publish: async (r) => void published.push([...r]) });
    expect(await b.pass()).toBe(4);
    expect(requests).toEqual([[at(0).toISOString(), at(45).toISOString()], [at(15).toISOString(), at(15).toISOString()]]);
    expect(published).toHaveLength(1); // one publish per window, after the gap was filled
    expect(published[0]!.map((r) => r.deviceTime)).toEqual([0, 15, 30, 45].map((m) => at(m).toISOString().slice(0, 19)));
  });

  it('moves on when a gap is still missing after the re-request (counted, not retried forever)', async () => {
    let requests = 0;
    const source = {
      async readLogWindow(_log: string, range: { since: Date; until: Date }) {
        requests++;
        return [0, 30].filter((m) => inRange(m, range)).map(entry);
      },
    };
    const published: LogRecord[] = [];
    const b = new LogBackfill({ deviceId: 'd', logs: [{ name: 'interval', intervalS: 900 }], source, store: store(), chunkS: 3600, lookbackS: 1800, rescanS: 0, deviceClock: async () => ({ nowMs: at(30).getTime(), fromDevice: true }), publish: async (r) => void published.push(...r) });
    const o = await b.window({ name: 'interval', intervalS: 900 }, at(30).getTime());
    expect(o).toEqual({ caughtUp: true, published: 2, missing: 1 });
    expect(requests).toBe(2);
  });

  it('caps gap re-requests per pass (oldest first); the gaps over the cap are counted missing and not requested', async () => {
    const requests: string[] = [];
    const present = [0, 30, 60, 90, 120, 150]; // 15, 45, 75, 105, 135 missing: five gaps
    const source = {
      async readLogWindow(_log: string, range: { since: Date; until: Date }) {
        requests.push(range.since.toISOString().slice(11, 16));
        return present.filter((m) => inRange(m, range)).map(entry);
      },
    };
    const metrics = recordingMetrics();
    const b = new LogBackfill({ deviceId: 'd', logs: [{ name: 'interval', intervalS: 900 }], source, store: store(), chunkS: 7200, lookbackS: 9000, rescanS: 0, maxGapRequestsPerPass: 2, metrics, deviceClock: async () => ({ nowMs: at(150).getTime(), fromDevice: true }), publish: async () => undefined });
    expect(await b.pass()).toBe(6);
    expect(requests).toEqual(['00:00', '00:15', '00:45', '02:00']); // 2 gap requests in the first window; none left for the second
    expect(metrics.sum('busbar_collector_corus_log_gap_requests_total')).toBe(2);
    expect(metrics.sum('busbar_collector_corus_log_missing_records_total')).toBe(5);
  });

  it('a record without a timestamp and a duplicated record are skipped, counted by reason and logged with their time', async () => {
    const noTime: LogEntry = { log: 'interval', deviceTime: null, key: 'ffff', fields: {} };
    const source = { readLogWindow: async () => [entry(0), noTime, entry(15), entry(15), entry(30)] };
    const metrics = recordingMetrics();
    const lines: { level: string; obj: unknown; msg: string }[] = [];
    const logger = captureLogger(lines);
    const published: LogRecord[] = [];
    const b = new LogBackfill({ deviceId: 'd', logs: [{ name: 'interval', intervalS: 900 }], source, store: store(), chunkS: 3600, lookbackS: 1800, rescanS: 0, metrics, logger, deviceClock: async () => ({ nowMs: at(30).getTime(), fromDevice: true }), publish: async (r) => void published.push(...r) });
    await b.pass();
    expect(published.map((r) => r.deviceTime.slice(11, 16))).toEqual(['00:00', '00:15', '00:30']);
    expect(metrics.byLabels('busbar_corus_log_records_skipped_total')).toEqual([{ labels: { device: 'd', log: 'interval', reason: 'duplicate' }, value: 1 }, { labels: { device: 'd', log: 'interval', reason: 'no_timestamp' }, value: 1 }]);
    expect(lines.filter((l) => l.msg === 'log record skipped').map((l) => l.obj)).toEqual([
      { device: 'd', log: 'interval', reason: 'no_timestamp', deviceTime: null, time: null },
      { device: 'd', log: 'interval', reason: 'duplicate', deviceTime: '2020-10-07T00:15:00', time: '2020-10-07T00:15:00.000Z' },
    ]);
  });
});

describe('modules > corus > backfill > the device clock (issue 16) on the simulator', () => {
  const DAILY_MAP = { ...EXAMPLE_CORUS_MAP, logs: { daily: { intervalS: 86_400, layouts: EXAMPLE_CORUS_MAP.logs!.interval!.layouts } } };

  async function clockDevice(simOptions: Partial<Parameters<typeof startCorusSimulator>[0]>, timeZone: string, map = EXAMPLE_CORUS_MAP): Promise<{ sim: CorusSimulator; session: CorusSession }> {
    const sim = await startCorusSimulator({ map, seed: 5, ...simOptions });
    const session = new CorusSession({ transport: tcpTransport({ host: sim.host, port: sim.port }), map, timeZone, keepAliveIntervalMs: 0 });
    open.push(sim, session);
    return { sim, session };
  }
  const run = (session: CorusSession, o: Partial<LogBackfillOptions> & Pick<LogBackfillOptions, 'logs' | 'publish'>): LogBackfill =>
    new LogBackfill({ deviceId: 'corus-1', source: session, store: new CursorStore(mkdtempSync(join(tmpdir(), 'corus-state-'))), chunkS: 21_600, lookbackS: 7 * 86_400, rescanS: 900, deviceClock: async () => ({ nowMs: await deviceNowMs(session), fromDevice: true }), ...o });

  it('a 06:00 gas-day daily log in Europe/Paris, 30 days across the DST change: every record, no gap request, nothing missing', async () => {
    const { session } = await clockDevice({ timeZone: 'Europe/Paris', gasDayStart: '06:00', startTime: '2020-11-08T12:00:00', historyRecords: 30 }, 'Europe/Paris', DAILY_MAP);
    const metrics = recordingMetrics();
    const published: LogRecord[] = [];
    const b = run(session, { logs: [{ name: 'daily', intervalS: 86_400 }], timeZone: 'Europe/Paris', dayStartS: 6 * 3600, lookbackS: 31 * 86_400, chunkS: 40 * 86_400, metrics, publish: async (r) => void published.push(...r) });
    expect(await b.pass()).toBe(30);
    expect(published[0]!.timestamp.toISOString()).toBe('2020-10-10T04:00:00.000Z');
    expect(published[29]!.timestamp.toISOString()).toBe('2020-11-08T05:00:00.000Z');
    expect(metrics.sum('busbar_collector_corus_log_gap_requests_total')).toBe(0);
    expect(metrics.sum('busbar_collector_corus_log_missing_records_total')).toBe(0);
  });

  it('DST on local time: the fall-back night in 1-hour windows is complete, the repeated hour as 8 distinct records, no gap', async () => {
    const { sim, session } = await clockDevice({ timeZone: 'Europe/Paris', startTime: '2020-10-25T00:00:00', historyRecords: 4 }, 'Europe/Paris');
    sim.advance(4 * 3600); // 00:00 CEST → 03:00 CET
    const metrics = recordingMetrics();
    const published: BackfillRecord[] = [];
    const b = run(session, { logs: [{ name: 'interval', intervalS: 900 }], timeZone: 'Europe/Paris', chunkS: 3600, lookbackS: 5 * 3600, metrics, publish: async (r) => void published.push(...r) });
    await b.pass();
    const night = published.filter((r) => r.timestamp >= new Date('2020-10-24T22:00:00Z'));
    expect(night).toHaveLength(17); // 22:00 … 02:00 UTC
    night.forEach((r, i) => expect(r.timestamp.getTime()).toBe(Date.parse('2020-10-24T22:00:00Z') + i * 900_000));
    expect(night.filter((r) => r.deviceTime.slice(11, 13) === '02')).toHaveLength(8);
    expect(published.every((r) => !r.relogged)).toBe(true);
    expect(metrics.sum('busbar_collector_corus_log_gap_requests_total')).toBe(0);
    expect(metrics.sum('busbar_collector_corus_log_missing_records_total')).toBe(0);
  });

  it('a record the device sends without a timestamp: skipped, counted and logged, then read whole on the next pass', async () => {
    const { sim, session } = await clockDevice({ startTime: '2020-10-07T12:00:00', historyRecords: 8, faults: [{ on: 'database', kind: 'no-timestamp' }] }, 'UTC');
    const metrics = recordingMetrics();
    const lines: { level: string; obj: unknown; msg: string }[] = [];
    const published: BackfillRecord[] = [];
    const b = run(session, { logs: [{ name: 'interval', intervalS: 900 }], lookbackS: 3 * 3600, metrics, logger: captureLogger(lines), publish: async (r) => void published.push(...r) });
    expect(await b.pass()).toBe(7);
    expect(metrics.byLabels('busbar_corus_log_records_skipped_total')).toEqual([{ labels: { device: 'corus-1', log: 'interval', reason: 'no_timestamp' }, value: 1 }]);
    expect(lines.filter((l) => l.level === 'warn' && l.msg === 'log record skipped').map((l) => l.obj)).toEqual([{ device: 'corus-1', log: 'interval', reason: 'no_timestamp', deviceTime: null, time: null }]);
    expect(await b.pass()).toBe(1);
    expect(published.map((r) => r.deviceTime)).toEqual(sim.logRecords('interval').map((r) => r.endDate).reverse());
  });

  it('the spring-forward night on local time: the skipped wall hour is no gap', async () => {
    const { sim, session } = await clockDevice({ timeZone: 'Europe/Paris', startTime: '2021-03-28T01:00:00', historyRecords: 4 }, 'Europe/Paris');
    sim.advance(2 * 3600); // 01:00 CET → 04:00 CEST: 2 hours of real time
    const metrics = recordingMetrics();
    const published: BackfillRecord[] = [];
    const b = run(session, { logs: [{ name: 'interval', intervalS: 900 }], timeZone: 'Europe/Paris', chunkS: 3600, lookbackS: 3 * 3600, metrics, publish: async (r) => void published.push(...r) });
    expect(await b.pass()).toBe(12);
    expect(published.map((r) => r.deviceTime.slice(11, 16))).toEqual(['00:15', '00:30', '00:45', '01:00', '01:15', '01:30', '01:45', '03:00', '03:15', '03:30', '03:45', '04:00']);
    published.forEach((r, i) => expect(r.timestamp.getTime()).toBe(Date.parse('2021-03-27T23:15:00Z') + i * 900_000));
    expect(metrics.sum('busbar_collector_corus_log_gap_requests_total')).toBe(0);
    expect(metrics.sum('busbar_collector_corus_log_missing_records_total')).toBe(0);
  });

  it('clock set back 2 h: the clock parameter shows it, the 8 re-logged records are published flagged, one event each time, the skips counted', async () => {
    const { sim, session } = await clockDevice({ startTime: '2020-10-07T12:07:00', historyRecords: 9 }, 'UTC');
    const metrics = recordingMetrics();
    const published: BackfillRecord[] = [];
    const events: string[] = [];
    const b = run(session, { logs: [{ name: 'interval', intervalS: 900 }], lookbackS: 3 * 3600, metrics, publish: async (r) => void published.push(...r), publishClockSetBack: async (_log, e) => void events.push(e.description) });
    expect(await b.pass()).toBe(9); // 10:00 … 12:00
    sim.setBackClock(7200); // 12:07 → 10:07
    expect(await b.pass()).toBe(0);
    expect(events).toEqual(['clock set back: the device clock reads 2020-10-07T10:07:00, 1 h 53 min before the last published record (2020-10-07T12:00:00); records it logs again will be published and flagged']);
    sim.advance(9000); // re-logs 10:15 … 12:00, then 12:15, 12:30
    expect(await b.pass()).toBe(10);
    expect(published.slice(9).map((r) => [r.deviceTime.slice(11, 16), r.relogged])).toEqual([
      ['10:15', true], ['10:30', true], ['10:45', true], ['11:00', true], ['11:15', true], ['11:30', true], ['11:45', true], ['12:00', true], ['12:15', false], ['12:30', false],
    ]);
    expect(events[1]).toBe('clock set back by 2 h (device time 2020-10-07T12:00:00 → 2020-10-07T10:15:00), 8 records re-logged');
    expect(metrics.sum('busbar_corus_clock_set_backs_total')).toBe(2);
    expect(metrics.sum('busbar_corus_log_records_relogged_total')).toBe(8);
    expect(metrics.byLabels('busbar_corus_log_records_skipped_total').map((x) => x.labels.reason)).toEqual(['already_published']);
    // caught up: the next pass publishes nothing new and no event
    expect(await b.pass()).toBe(0);
    expect(events).toHaveLength(2);
  });
});

/** Metrics that remember every counter increment. */
function recordingMetrics(): Metrics & { sum(name: string): number; byLabels(name: string): { labels: Record<string, string | number>; value: number }[] } {
  const incs: { name: string; labels: Record<string, string | number>; value: number }[] = [];
  return {
    counter: (spec) => ({ inc: (labels = {}, value = 1) => void incs.push({ name: spec.name, labels, value }) }),
    gauge: () => ({ set: () => undefined, inc: () => undefined }),
    histogram: () => ({ observe: () => undefined }),
    sum: (name) => incs.filter((i) => i.name === name).reduce((n, i) => n + i.value, 0),
    byLabels: (name) => {
      const by = new Map<string, { labels: Record<string, string | number>; value: number }>();
      for (const i of incs.filter((x) => x.name === name)) {
        const k = JSON.stringify(i.labels);
        const cur = by.get(k) ?? { labels: i.labels, value: 0 };
        by.set(k, { labels: i.labels, value: cur.value + i.value });
      }
      return [...by.values()].sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
    },
  } as Metrics & { sum(name: string): number; byLabels(name: string): { labels: Record<string, string | number>; value: number }[] };
}

/** A logger that keeps its lines. */
function captureLogger(lines: { level: string; obj: unknown; msg: string }[]): Logger {
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg: msg ?? '' });
  const l: Logger = { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => l } as unknown as Logger;
  return l;
}
