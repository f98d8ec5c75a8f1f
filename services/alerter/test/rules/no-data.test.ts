import { describe, expect, it } from 'vitest';
import { toAlert } from '../../src/alert.js';
import type { RuleEngine } from '../../src/rules/engine.js';
import { noDataEngine } from '../../src/rules/no-data.js';
import type { NoDataRule } from '../../src/rules/no-data.js';
import { stateReading } from '../support/events.js';

const rule: NoDataRule = { id: 'silent', devices: ['arbin-*'], perChannel: false, timeoutMs: 30_000, severity: 'CRITICAL' };

/** One draft at `nowMs`: feeds readings `[device, channel, values]`, then ticks; commits; returns the draft. */
function step(engine: RuleEngine, nowMs: number, readings: [string, number | null, Record<string, number>?][] = [], tick = true) {
  const d = engine.draft(nowMs);
  for (const [device, channel, values] of readings) d.reading(stateReading(values ?? { voltage_v: 3.7 }, nowMs, device, { channel }), 2);
  if (tick) d.tick();
  d.commit();
  return d;
}

describe('alerter > rules > no-data', () => {
  it('fires at the deadline when a known device stops sending, and resolves at its next reading', () => {
    const e = noDataEngine(rule);
    const first = step(e, 1_000, [['arbin-1', 1]]);
    expect(first.writes).toEqual([{ partition: 2, key: 'silent|arbin-1|', record: { rule: 'silent', deviceId: 'arbin-1', channel: null, waitingSinceMs: 1_000 } }]);
    expect(step(e, 20_000, [['arbin-1', 2]]).writes).toEqual([]); // a known series writes nothing while it sends
    expect(step(e, 49_999).transitions).toEqual([]);
    const fired = step(e, 52_000).transitions;
    expect(fired).toMatchObject([{ state: 'FIRING', severity: 'CRITICAL', signal: 'staleness_s', value: 30, threshold: 30, atMs: 50_000, deviceId: 'arbin-1', channel: null, partition: 2 }]);
    expect(toAlert(fired[0]!).message).toBe('CRITICAL: arbin-1 no reading for 30 s (rule silent)');
    expect(step(e, 60_000).transitions).toEqual([]); // no repeat while silent
    const back = step(e, 70_000, [['arbin-1', 1]]);
    expect(back.transitions).toMatchObject([{ state: 'RESOLVED', value: 50, atMs: 70_000 }]);
    expect(toAlert(back.transitions[0]!).alert_id).toBe(toAlert(fired[0]!).alert_id);
    expect(back.writes.at(-1)).toEqual({ partition: 2, key: 'silent|arbin-1|', record: { rule: 'silent', deviceId: 'arbin-1', channel: null, waitingSinceMs: 70_000 } });
  });

  it('keeps one series per channel with perChannel, and counts only readings carrying the signal', () => {
    const e = noDataEngine({ ...rule, perChannel: true, signal: 'temperature_c' });
    step(e, 0, [['arbin-1', 1, { temperature_c: 25 }], ['arbin-1', 2, { temperature_c: 25 }]]);
    step(e, 20_000, [['arbin-1', 1, { temperature_c: 25 }], ['arbin-1', 2, { voltage_v: 3.7 }]]); // channel 2 without the signal
    expect(step(e, 30_000).transitions.map((t) => t.seriesKey)).toEqual(['silent|arbin-1|2']);
  });

  it('ignores devices its globs do not match and devices it never saw', () => {
    const e = noDataEngine(rule);
    step(e, 0, [['psu-1', null]]);
    expect(step(e, 100_000).transitions).toEqual([]);
  });

  it('derives the same FIRING (same alert id) from a tick repeated after a failed publish', () => {
    const e = noDataEngine(rule);
    step(e, 0, [['arbin-1', 1]]);
    const failed = e.draft(40_000);
    failed.tick(); // not committed
    const again = e.draft(41_000);
    again.tick();
    expect(again.transitions).toHaveLength(1);
    expect(toAlert(again.transitions[0]!).alert_id).toBe(toAlert(failed.transitions[0]!).alert_id);
  });

  it('after a restore, counts a known silent device from the load and fires; a restored firing one does not fire again', () => {
    const e = noDataEngine(rule);
    e.restore(2, [
      { rule: 'silent', deviceId: 'arbin-1', channel: null, waitingSinceMs: 1_000 },
      { rule: 'silent', deviceId: 'arbin-2', channel: null, severity: 'CRITICAL', episode: 3, episodeStartMs: 5_000, alertId: 'x', updatedMs: 5_000 },
    ], 100_000);
    expect(step(e, 129_999).transitions).toEqual([]);
    expect(step(e, 130_000).transitions).toMatchObject([{ deviceId: 'arbin-1', state: 'FIRING', atMs: 130_000 }]);
    const back = step(e, 131_000, [['arbin-2', 1]]).transitions;
    expect(back).toMatchObject([{ deviceId: 'arbin-2', state: 'RESOLVED', episode: 3, episodeStartMs: 5_000, value: null }]);
  });
});
