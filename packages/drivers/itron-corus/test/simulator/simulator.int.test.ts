import { afterEach, describe, expect, it } from 'vitest';
import { startCorusSimulator, type CorusSimulator } from '../../src/simulator/simulator.js';
import { formatCorusDateTime, isCorusDateTime } from '../../src/codec/data-classes.js';
import { ExactDecimal } from '../../src/codec/exact-decimal.js';
import { RawPeer, VECTOR_MAP } from '../helpers.js';
import { CorusSession, logEntryToRecord } from '../../src/client/session.js';
import { tcpTransport } from '../../src/client/transport.js';
import { dateToCorusDateTime } from '../../src/client/time-zone.js';
import type { CorusDateTime } from '../../src/codec/data-classes.js';
import { EXAMPLE_CORUS_MAP } from '../../src/config/example-map.js';
import { decideLogRecords } from '../../src/log/cursor-policy.js';
import { findLogGaps, parseDayStart } from '../../src/log/slots.js';
import { hex, toHex, vectors } from '../vectors/load.js';

let sim: CorusSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

type Step = { direction: string; hex: string };

async function replay(s: CorusSimulator, steps: Step[]): Promise<void> {
  const peer = await RawPeer.connect(s.host, s.port);
  try {
    for (const st of steps) {
      if (st.direction === 'client->device') peer.send(hex(st.hex));
      else if (st.direction === 'device->client') expect(toHex(await peer.read(st.hex.length / 2))).toBe(st.hex);
    }
  } finally {
    peer.close();
  }
}

describe('Simulator (README §13) against vectors.json', () => {
  it('session_example: produces the device bytes exactly and applies the date write', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, values: { volume_unconverted_m3: '234567.982', volume_converted_m3: '222222.982' }, historyRecords: 0 });
    await replay(sim, vectors.session_example.exchange);
    const clock = sim.parameter('clock');
    expect(isCorusDateTime(clock) && formatCorusDateTime(clock)).toBe('2020-10-07T22:01:47');
    await new Promise((r) => setTimeout(r, 20));
    expect(sim.stats.breaks).toBe(1);
  });

  it('database_transfer_example: same request → the exact two frames (chunk 100)', async () => {
    const ex = vectors.database_transfer_example;
    sim = await startCorusSimulator({ map: VECTOR_MAP, databaseChunk: 100, logRecords: { interval: ex.records_hex.map(hex) } });
    const start: Step[] = vectors.session_example.exchange.slice(0, 8);
    await replay(sim, [...start, ...ex.exchange]);
    expect(sim.logRecords('interval')[0]?.values.consumption_interval_converted?.toString()).toBe('100');
  });

  it('database_empty_example: a window with no record → 01 03 01 80 00 03 81 E6', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, historyRecords: 0 });
    const start: Step[] = vectors.session_example.exchange.slice(0, 8);
    await replay(sim, [...start, { direction: 'client->device', hex: vectors.frames.find((f: { name: string }) => f.name === 'database_request interval').hex }, { direction: 'device->client', hex: vectors.database_empty_example.hex }]);
  });

  it("NAKs iflag's defective two-byte-id write and accepts the correct one (README §6, §13.4)", async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, historyRecords: 0 });
    const start: Step[] = vectors.session_example.exchange.slice(0, 8);
    const f = (n: string): string => vectors.frames.find((x: { name: string }) => x.name === n).hex;
    await replay(sim, [...start, { direction: 'client->device', hex: f('write_request_two_byte_id_iflag_bug') }, { direction: 'device->client', hex: '15' }, { direction: 'client->device', hex: f('write_request_two_byte_id_correct') }, { direction: 'device->client', hex: '06' }]);
    expect((sim.parameter(300) as ExactDecimal).toString()).toBe('7');
  });

  it('refuses a wrong password with NAK and stays asleep (README §13.2)', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, password: 'ABCD', historyRecords: 0 });
    const peer = await RawPeer.connect(sim.host, sim.port);
    const start: Step[] = vectors.session_example.exchange.slice(0, 5);
    for (const st of start) if (st.direction === 'client->device') peer.send(hex(st.hex));
    await peer.read(3 + 12);
    expect(toHex((await peer.read(6)).subarray(0, 4))).toBe('41424344');
    peer.send(hex('50415353e0ae'));
    expect(toHex(await peer.read(1))).toBe('15');
    peer.close();
    expect(sim.stats.sessions).toBe(0);
  });

  it('serves one session at a time: a second connection is dropped', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, historyRecords: 0 });
    const a = await RawPeer.connect(sim.host, sim.port);
    const b = await RawPeer.connect(sim.host, sim.port);
    await b.read(1, 500);
    expect(b.closed).toBe(true);
    expect(sim.stats.rejectedConnections).toBe(1);
    a.close();
    b.close();
  });

  it('advance() appends interval records and grows the volume registers by consumption × pulse weight', async () => {
    sim = await startCorusSimulator({ map: VECTOR_MAP, historyRecords: 0, startTime: '2020-10-07T12:00:00' });
    const before = sim.parameter('volume_converted_m3') as ExactDecimal;
    sim.advance(3600);
    const recs = sim.logRecords('interval');
    expect(recs.map((r) => r.endDate)).toEqual(['2020-10-07T13:00:00', '2020-10-07T12:45:00', '2020-10-07T12:30:00', '2020-10-07T12:15:00']);
    const added = recs.reduce((s, r) => s.add(r.values.consumption_interval_converted as ExactDecimal), ExactDecimal.ZERO);
    expect((sim.parameter('volume_converted_m3') as ExactDecimal).toString()).toBe(before.add(added).toString());
    expect(sim.clockTime()).toBe('2020-10-07T13:00:00');
  });
});

describe('Simulator faults of the device clock (issue 16), read through CorusSession and the cursor policy', () => {
  let session: CorusSession | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });
  const DAILY_MAP = { ...EXAMPLE_CORUS_MAP, logs: { ...EXAMPLE_CORUS_MAP.logs, daily: { intervalS: 86_400, layouts: EXAMPLE_CORUS_MAP.logs!.interval!.layouts } } };
  const open = (s: CorusSimulator, timeZone: string, map = EXAMPLE_CORUS_MAP): CorusSession =>
    (session = new CorusSession({ transport: tcpTransport({ host: s.host, port: s.port }), map, timeZone, keepAliveIntervalMs: 0 }));
  const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

  it('gas-day daily log in Europe/Paris: 30 records at 06:00 local across the DST change, no false gap', async () => {
    sim = await startCorusSimulator({ map: DAILY_MAP, timeZone: 'Europe/Paris', gasDayStart: '06:00', startTime: '2020-11-08T12:00:00', historyRecords: 30 });
    expect(sim.logRecords('daily').map((r) => r.endDate.slice(11))).toEqual(Array(30).fill('06:00:00'));
    const s = open(sim, 'Europe/Paris', DAILY_MAP);
    const entries = await s.readLogWindow('daily', { since: new Date('2020-10-01T00:00:00Z'), until: new Date('2020-11-08T11:00:00Z') });
    const d = decideLogRecords(entries, undefined, { timeZone: 'Europe/Paris', intervalS: 86_400 });
    expect(d.publish).toHaveLength(30);
    expect(iso(d.publish[0]!.timestampMs)).toBe('2020-10-10T04:00:00Z'); // 06:00 CEST
    expect(iso(d.publish[29]!.timestampMs)).toBe('2020-11-08T05:00:00Z'); // 06:00 CET
    const ts = d.publish.map((p) => p.timestampMs);
    expect(findLogGaps(ts, { intervalS: 86_400, timeZone: 'Europe/Paris', dayStartS: parseDayStart('06:00'), fromMs: ts[0]!, toMs: ts[29]! })).toEqual([]);
    expect(d.skippedByReason).toEqual({ already_published: 0, duplicate: 0, no_timestamp: 0 });
  });

  it('DST on local time: the repeated hour of the fall-back is read as 8 distinct records, the night complete', async () => {
    sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, timeZone: 'Europe/Paris', startTime: '2020-10-25T01:00:00', historyRecords: 4 });
    sim.advance(3 * 3600); // 01:00 CEST → 03:00 CET: 3 hours of real time
    expect(sim.clockTime()).toBe('2020-10-25T03:00:00');
    const walls = sim.logRecords('interval').map((r) => r.endDate.slice(11, 16)).reverse();
    expect(walls).toEqual(['00:15', '00:30', '00:45', '01:00', '01:15', '01:30', '01:45', '02:00', '02:15', '02:30', '02:45', '02:00', '02:15', '02:30', '02:45', '03:00']);
    const s = open(sim, 'Europe/Paris');
    const entries = await s.readLogWindow('interval', { since: new Date('2020-10-24T22:15:00Z'), until: new Date('2020-10-25T02:00:00Z') });
    expect(entries).toHaveLength(16);
    const d = decideLogRecords(entries, undefined, { timeZone: 'Europe/Paris', intervalS: 900 });
    expect(d.publish).toHaveLength(16);
    d.publish.forEach((p, i) => expect(iso(p.timestampMs)).toBe(iso(Date.parse('2020-10-24T22:15:00Z') + i * 900_000)));
    expect(d.events).toEqual([]);
    const ts = d.publish.map((p) => p.timestampMs);
    expect(findLogGaps(ts, { intervalS: 900, timeZone: 'Europe/Paris', fromMs: ts[0]!, toMs: ts[15]! })).toEqual([]);
    // the published form keeps the resolved instant and the wall time as written
    const second0200 = logEntryToRecord(d.publish[11]!.record, d.publish[11]!.timestampMs, 'Europe/Paris');
    expect([second0200.deviceTime, second0200.timestamp.toISOString(), (second0200.values.start_date as Date).toISOString()]).toEqual(['2020-10-25T02:00:00', '2020-10-25T01:00:00.000Z', '2020-10-25T00:45:00.000Z']);
  });

  it('clock set back 2 h: seen on the clock parameter, then the 8 re-logged records published and flagged', async () => {
    sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, startTime: '2020-10-07T12:07:00', historyRecords: 9 });
    const s = open(sim, 'UTC');
    const clock = async (): Promise<CorusDateTime> => {
      const v = (await s.readParameters(['clock'])).clock;
      return dateToCorusDateTime(v as Date, 'UTC');
    };
    // pass 1: 10:00 … 12:00 published
    const p1 = decideLogRecords(await s.readLogWindow('interval', { since: new Date('2020-10-07T09:00:00Z'), until: new Date('2020-10-07T12:07:00Z') }), undefined, { intervalS: 900, deviceNow: await clock() });
    expect(p1.publish).toHaveLength(9);
    // 12:07 → 10:07
    sim.setBackClock(7200);
    const now2 = await clock();
    expect(formatCorusDateTime(now2)).toBe('2020-10-07T10:07:00');
    const c1 = p1.cursor!;
    const p2 = decideLogRecords(await s.readLogWindow('interval', { since: new Date(c1.lastRecordMs), until: new Date(c1.lastRecordMs) }), c1, { intervalS: 900, deviceNow: now2 });
    expect(p2.events.map((e) => e.description)).toEqual(['clock set back: the device clock reads 2020-10-07T10:07:00, 1 h 53 min before the last published record (2020-10-07T12:00:00); records it logs again will be published and flagged']);
    const c2 = p2.cursor!;
    expect(iso(c2.rescanFromMs!)).toBe('2020-10-07T09:52:00Z');
    // 2 h 30 min later the device has logged 10:15 … 12:30 again after its old 10:00 … 12:00
    sim.advance(9000);
    expect(sim.logRecords('interval')).toHaveLength(19);
    const p3 = decideLogRecords(await s.readLogWindow('interval', { since: new Date(Math.min(c2.lastRecordMs, c2.rescanFromMs!)), until: new Date('2020-10-07T12:37:00Z') }), c2, { intervalS: 900, deviceNow: await clock() });
    expect(p3.skippedByReason.already_published).toBe(9);
    expect(p3.publish.map((p) => [iso(p.timestampMs).slice(11, 16), p.relogged])).toEqual([
      ['10:15', true], ['10:30', true], ['10:45', true], ['11:00', true], ['11:15', true], ['11:30', true], ['11:45', true], ['12:00', true], ['12:15', false], ['12:30', false],
    ]);
    expect(p3.events.map((e) => e.description)).toEqual(['clock set back by 2 h (device time 2020-10-07T12:00:00 → 2020-10-07T10:15:00), 8 records re-logged']);
    expect(p3.cursor).toEqual({ lastRecordMs: Date.parse('2020-10-07T12:30:00Z'), lastRecordDeviceTime: '2020-10-07T12:30:00', lastRecordKey: p3.publish[9]!.record.key });
  });

  it('a sequence field numbers the generated records and the summer-time bit marks CEST records', async () => {
    const map = { ...EXAMPLE_CORUS_MAP, logs: { interval: { ...EXAMPLE_CORUS_MAP.logs!.interval!, summerTimeFlag: { field: 'status', mask: 0x01 }, sequenceField: 'record_sequence', layouts: [{ recordLength: 52, fields: EXAMPLE_CORUS_MAP.logs!.interval!.layouts[0]!.fields.map((f) => (f.name === 'record_duration' ? { ...f, name: 'record_sequence' } : f)) }] } } };
    sim = await startCorusSimulator({ map, timeZone: 'Europe/Paris', startTime: '2020-10-25T01:00:00', historyRecords: 4 });
    sim.advance(3 * 3600);
    const s = open(sim, 'Europe/Paris', map);
    const entries = await s.readLogWindow('interval', { since: new Date('2020-10-24T22:15:00Z'), until: new Date('2020-10-25T02:00:00Z') });
    expect(entries.map((e) => e.sequence)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(entries.map((e) => e.summerTime)).toEqual([...Array(11).fill(true), ...Array(5).fill(false)]);
    // the order of the answer no longer matters: the sequence and the bit place every record
    const d = decideLogRecords([...entries].reverse(), undefined, { timeZone: 'Europe/Paris', intervalS: 900 });
    d.publish.forEach((p, i) => expect(p.timestampMs).toBe(Date.parse('2020-10-24T22:15:00Z') + i * 900_000));
  });
});
