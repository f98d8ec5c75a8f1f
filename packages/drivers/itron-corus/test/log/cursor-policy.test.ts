import { describe, expect, it } from 'vitest';
import { parseCorusDateTime } from '../../src/codec/data-classes.js';
import { decideLogRecords, formatDuration, type CursorRecord, type LogCursorState } from '../../src/log/cursor-policy.js';

interface Rec extends CursorRecord {
  readonly label: string;
}

/** A record as read: naive device time (or null), a key standing for its bytes, optional fields. */
const rec = (time: string | null, label: string, extra: Partial<Pick<Rec, 'sequence' | 'summerTime'>> = {}): Rec => ({ deviceTime: time === null ? null : parseCorusDateTime(time), key: `k-${label}`, label, ...extra });
const ms = (isoUtc: string): number => Date.parse(`${isoUtc}Z`);
const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', '');
/** Quarter-hour wall times from `h:m` for `n` records on 2020-10-07. */
const quarter = (startMin: number, n: number, prefix: string): Rec[] =>
  Array.from({ length: n }, (_, i) => {
    const m = startMin + i * 15;
    return rec(`2020-10-07T${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00`, `${prefix}${i}`);
  });
const cursorAt = (r: Rec, tz = 'UTC'): LogCursorState => {
  const d = decideLogRecords([r], undefined, { timeZone: tz });
  return d.cursor as LogCursorState;
};

describe('Log > cursor policy: ordinary batches', () => {
  it('first batch: every record published in log order, the cursor is the last one', () => {
    const batch = quarter(600, 4, 'a');
    const d = decideLogRecords(batch, undefined, { intervalS: 900 });
    expect(d.publish.map((p) => p.record.label)).toEqual(['a0', 'a1', 'a2', 'a3']);
    expect(d.publish.map((p) => iso(p.timestampMs))).toEqual(['2020-10-07T10:00:00', '2020-10-07T10:15:00', '2020-10-07T10:30:00', '2020-10-07T10:45:00']);
    expect(d.publish.every((p) => !p.relogged)).toBe(true);
    expect(d.skippedByReason).toEqual({ already_published: 0, duplicate: 0, no_timestamp: 0 });
    expect(d.events).toEqual([]);
    expect(d.cursor).toEqual({ lastRecordMs: ms('2020-10-07T10:45:00'), lastRecordDeviceTime: '2020-10-07T10:45:00', lastRecordKey: 'k-a3' });
  });

  it('a re-read overlapping the cursor: the cursor record and those before it are already published', () => {
    const batch = quarter(600, 6, 'a');
    const d = decideLogRecords(batch, cursorAt(batch[3]!), { intervalS: 900 });
    expect(d.publish.map((p) => p.record.label)).toEqual(['a4', 'a5']);
    expect(d.skipped.map((s) => [s.reason, s.deviceTime])).toEqual([
      ['already_published', '2020-10-07T10:00:00'],
      ['already_published', '2020-10-07T10:15:00'],
      ['already_published', '2020-10-07T10:30:00'],
      ['already_published', '2020-10-07T10:45:00'],
    ]);
    expect(d.skippedByReason.already_published).toBe(4);
    expect(d.placedMs).toHaveLength(6);
  });

  it('the same record twice in one answer is skipped as a duplicate, with its time', () => {
    const [a, b, c] = quarter(600, 3, 'a');
    const d = decideLogRecords([a!, b!, b!, c!], undefined);
    expect(d.publish.map((p) => p.record.label)).toEqual(['a0', 'a1', 'a2']);
    expect(d.skipped).toEqual([{ record: b, reason: 'duplicate', deviceTime: '2020-10-07T10:15:00', timestampMs: ms('2020-10-07T10:15:00') }]);
    expect(d.skippedByReason).toEqual({ already_published: 0, duplicate: 1, no_timestamp: 0 });
  });

  it('a record without a timestamp is skipped and counted, not dropped silently', () => {
    const [a, b] = quarter(600, 2, 'a');
    const d = decideLogRecords([a!, rec(null, 'x'), b!], undefined);
    expect(d.publish.map((p) => p.record.label)).toEqual(['a0', 'a1']);
    expect(d.skipped).toEqual([{ record: expect.objectContaining({ label: 'x' }), reason: 'no_timestamp', deviceTime: null, timestampMs: null }]);
    expect(d.skippedByReason.no_timestamp).toBe(1);
  });

  it('without the cursor record in the batch, records at or before the cursor time are already published', () => {
    const batch = quarter(600, 5, 'b');
    const d = decideLogRecords(batch, { lastRecordMs: ms('2020-10-07T10:30:00'), lastRecordDeviceTime: '2020-10-07T10:30:00' });
    expect(d.publish.map((p) => p.record.label)).toEqual(['b3', 'b4']);
    expect(d.skippedByReason.already_published).toBe(3);
  });

  it('records with equal timestamps that are distinct records do not collapse', () => {
    const a = rec('2020-10-07T10:00:00', 'a');
    const b = rec('2020-10-07T10:00:00', 'b');
    const d = decideLogRecords([a, b], undefined, { intervalS: 900 });
    expect(d.publish.map((p) => [p.record.label, iso(p.timestampMs), p.relogged])).toEqual([
      ['a', '2020-10-07T10:00:00', false],
      ['b', '2020-10-07T10:00:00', true],
    ]);
    expect(d.events.map((e) => e.description)).toEqual(['clock set back by 15 min (device time 2020-10-07T10:00:00 → 2020-10-07T10:00:00), 1 record re-logged']);
  });

  it('refuses an unknown zone with BB_CORUS_CONFIG_INVALID naming it', () => {
    expect(() => decideLogRecords([], undefined, { timeZone: 'Europe/Atlantis' })).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining('Europe/Atlantis') }));
  });
});

describe('Log > cursor policy: DST fall-back with the device on local time', () => {
  // Europe/Paris, 2020-10-25: 03:00 CEST → 02:00 CET. A 15-min log on local time writes
  // 01:45, 02:00 … 02:45 (CEST), 02:00 … 02:45 (CET), 03:00 — the wall hour twice.
  const wall = ['01:45', '02:00', '02:15', '02:30', '02:45', '02:00', '02:15', '02:30', '02:45', '03:00'];
  const utc = ['23:45', '00:00', '00:15', '00:30', '00:45', '01:00', '01:15', '01:30', '01:45', '02:00'].map((t, i) => `2020-10-${i === 0 ? '24' : '25'}T${t}:00`);
  const night = (extra: (i: number) => Partial<Rec> = () => ({})): Rec[] => wall.map((w, i) => rec(`2020-10-25T${w}:00`, `n${i}`, extra(i)));

  it('by order: the repeated hour stays 8 distinct records on their own instants, no set-back', () => {
    const d = decideLogRecords(night(), undefined, { timeZone: 'Europe/Paris', intervalS: 900 });
    expect(d.publish.map((p) => iso(p.timestampMs))).toEqual(utc);
    expect(d.publish.every((p) => !p.relogged)).toBe(true);
    expect(d.events).toEqual([]);
    expect(d.skipped).toEqual([]);
  });

  it('by the summer-time status bit, whatever the order the records come in', () => {
    const summer = [true, true, true, true, true, false, false, false, false, false];
    const records = night((i) => ({ summerTime: summer[i] }));
    // cursor on the second 02:15 (CET): the re-read starts there
    const cursor: LogCursorState = { lastRecordMs: ms(utc[6]!), lastRecordDeviceTime: '2020-10-25T02:15:00', lastRecordKey: 'k-n6' };
    const d = decideLogRecords(records, cursor, { timeZone: 'Europe/Paris', intervalS: 900 });
    expect(d.publish.map((p) => iso(p.timestampMs))).toEqual(utc.slice(7));
    expect(d.skippedByReason.already_published).toBe(7);
    expect(d.events).toEqual([]);
  });

  it('by the sequence field: shuffled records are put back in log order', () => {
    const records = night((i) => ({ sequence: 100 + i }));
    const shuffled = [5, 0, 9, 2, 7, 1, 8, 3, 6, 4].map((i) => records[i]!);
    const d = decideLogRecords(shuffled, undefined, { timeZone: 'Europe/Paris', intervalS: 900 });
    expect(d.publish.map((p) => iso(p.timestampMs))).toEqual(utc);
    expect(d.cursor).toMatchObject({ lastRecordSequence: 109, lastRecordDeviceTime: '2020-10-25T03:00:00' });
  });

  it('by the sequence field: numbers at or below the cursor are already published even when its record is gone', () => {
    const records = night((i) => ({ sequence: 100 + i })).slice(6);
    const d = decideLogRecords(records, { lastRecordMs: ms(utc[5]!), lastRecordDeviceTime: '2020-10-25T02:00:00', lastRecordSequence: 106 }, { timeZone: 'Europe/Paris' });
    expect(d.publish.map((p) => p.record.sequence)).toEqual([107, 108, 109]);
    expect(d.publish.map((p) => iso(p.timestampMs))).toEqual(utc.slice(7));
  });

  it('a window ending inside the repeated hour: records placed after it wait for the next read, none is lost', () => {
    // the naive bounds of a window ending at 00:15 UTC (02:15 CEST) also return the second 02:00 and 02:15
    const answer = night().filter((r) => r.deviceTime!.hour < 2 || (r.deviceTime!.hour === 2 && r.deviceTime!.minute <= 15));
    const w1 = decideLogRecords(answer, undefined, { timeZone: 'Europe/Paris', untilMs: ms(utc[2]!) });
    expect(w1.publish.map((p) => iso(p.timestampMs))).toEqual(utc.slice(0, 3));
    expect(w1.deferred).toBe(2);
    expect(w1.skipped).toEqual([]);
    const w2 = decideLogRecords(night(), w1.cursor, { timeZone: 'Europe/Paris', untilMs: ms(utc[9]!) });
    expect(w2.publish.map((p) => iso(p.timestampMs))).toEqual(utc.slice(3));
    expect(w2.deferred).toBe(0);
  });

  it('across two passes: the cursor in the first 02:45 (CEST), the second 02:00 … 02:45 follow it', () => {
    const records = night();
    const first = decideLogRecords(records.slice(0, 5), undefined, { timeZone: 'Europe/Paris' });
    const second = decideLogRecords(records.slice(1), first.cursor, { timeZone: 'Europe/Paris' });
    expect(second.publish.map((p) => iso(p.timestampMs))).toEqual(utc.slice(5));
    expect(second.skippedByReason.already_published).toBe(4);
  });
});

describe('Log > cursor policy: the device clock set back', () => {
  // published up to 12:00; at 12:07 the clock is set back 2 h to 10:07; the device then logs 10:15 … 12:00 again, then 12:15, 12:30
  const old = quarter(600, 9, 'old'); // 10:00 … 12:00
  const relogged = quarter(615, 10, 'new'); // 10:15 … 12:30
  const cursor = cursorAt(old[8]!);

  it('re-logged records are published and flagged, one event says what happened', () => {
    const d = decideLogRecords([...old, ...relogged], cursor, { intervalS: 900 });
    expect(d.skippedByReason.already_published).toBe(9);
    expect(d.publish.map((p) => p.record.label)).toEqual(relogged.map((r) => r.label));
    expect(d.publish.filter((p) => p.relogged)).toHaveLength(8);
    expect(d.publish.map((p) => p.relogged)).toEqual([true, true, true, true, true, true, true, true, false, false]);
    expect(d.events).toEqual([
      {
        kind: 'clock_set_back',
        detectedBy: 'records',
        setBackByMs: 2 * 3_600_000,
        reloggedRecords: 8,
        fromDeviceTime: '2020-10-07T12:00:00',
        toDeviceTime: '2020-10-07T10:15:00',
        description: 'clock set back by 2 h (device time 2020-10-07T12:00:00 → 2020-10-07T10:15:00), 8 records re-logged',
      },
    ]);
    expect(d.cursor).toEqual({ lastRecordMs: ms('2020-10-07T12:30:00'), lastRecordDeviceTime: '2020-10-07T12:30:00', lastRecordKey: 'k-new9' });
  });

  it('over two passes: the high-water mark keeps flagging until the re-logged times pass it', () => {
    const first = decideLogRecords([...old, ...relogged.slice(0, 4)], cursor, { intervalS: 900 }); // 10:15 … 11:00
    expect(first.publish.map((p) => p.relogged)).toEqual([true, true, true, true]);
    expect(first.cursor).toMatchObject({ lastRecordDeviceTime: '2020-10-07T11:00:00', highWaterMs: ms('2020-10-07T12:00:00') });
    const second = decideLogRecords([...old.slice(4), ...relogged.slice(3)], first.cursor, { intervalS: 900 }); // re-read from 11:00
    expect(second.skippedByReason.already_published).toBe(6); // old 11:00 … 12:00 and the cursor's 11:00
    expect(second.publish.map((p) => [p.record.label, p.relogged])).toEqual([
      ['new4', true], ['new5', true], ['new6', true], ['new7', true], ['new8', false], ['new9', false],
    ]);
    expect(second.events.map((e) => e.description)).toEqual(['4 more records re-logged after the clock set-back, up to device time 2020-10-07T12:00:00']);
    expect(second.cursor?.highWaterMs).toBeUndefined();
  });

  it('the clock parameter behind the last published record reports the set-back before anything is re-logged', () => {
    const d = decideLogRecords([old[8]!], cursor, { intervalS: 900, deviceNow: parseCorusDateTime('2020-10-07T10:07:00') });
    expect(d.publish).toEqual([]);
    expect(d.events).toEqual([expect.objectContaining({ detectedBy: 'clock', setBackByMs: 113 * 60_000, description: 'clock set back: the device clock reads 2020-10-07T10:07:00, 1 h 53 min before the last published record (2020-10-07T12:00:00); records it logs again will be published and flagged' })]);
    expect(d.cursor).toEqual({ ...cursor, highWaterMs: ms('2020-10-07T12:00:00'), rescanFromMs: ms('2020-10-07T09:52:00') });
    // next pass: the re-logged records are flagged; the clock event is not repeated
    const next = decideLogRecords([old[8]!, ...relogged.slice(0, 2)], d.cursor, { intervalS: 900, deviceNow: parseCorusDateTime('2020-10-07T10:37:00') });
    expect(next.publish.map((p) => p.relogged)).toEqual([true, true]);
    expect(next.events.map((e) => e.detectedBy)).toEqual(['records']);
    expect(next.cursor).toEqual({ lastRecordMs: ms('2020-10-07T10:30:00'), lastRecordDeviceTime: '2020-10-07T10:30:00', lastRecordKey: 'k-new1', highWaterMs: ms('2020-10-07T12:00:00') });
  });

  it('a device clock ahead of the cursor is no set-back; nor is one read just before a record was logged', () => {
    for (const now of ['2020-10-07T12:07:00', '2020-10-07T11:59:58']) {
      const d = decideLogRecords([old[8]!], cursor, { deviceNow: parseCorusDateTime(now) });
      expect(d.events).toEqual([]);
      expect(d.cursor).toBe(cursor);
    }
    // with no tolerance, 2 s behind is a set-back
    expect(decideLogRecords([old[8]!], cursor, { deviceNow: parseCorusDateTime('2020-10-07T11:59:58'), clockToleranceS: 0 }).events).toHaveLength(1);
  });
});

describe('Log > cursor policy: formatDuration', () => {
  it.each([[7_200_000, '2 h'], [6_300_000, '1 h 45 min'], [30_000, '30 s'], [93_600_000, '1 d 2 h'], [0, '0 s']])('%d ms → %s', (v, text) => {
    expect(formatDuration(v)).toBe(text);
  });
});
