import { describe, expect, it } from 'vitest';
import { toAlert } from '../../src/alert.js';
import { RateOfChangeEvaluator, rateSignalOf } from '../../src/rules/rate-of-change.js';
import type { RateOfChangeRule } from '../../src/rules/rate-of-change.js';
import type { Transition } from '../../src/rules/transition.js';

/** Temperature rising faster than 1 °C/min over 60 s: WARNING; 2 °C/min: CRITICAL; resolves below 0.5 °C/min. */
const rule: RateOfChangeRule = { id: 'cell-heating', devices: ['*'], signal: 'temperature_c', per: 'min', windowMs: 60_000, direction: 'above', warning: 1, critical: 2, clear: 0.5, forMs: 0 };
const at = (value: number, atMs: number, channel: number | null = 1) => ({ deviceId: 'arbin-1', channel, value, atMs });

/** Feeds `values` one every 10 s from t = 0 through one draft per reading; returns the transitions by index. */
function run(ev: RateOfChangeEvaluator, values: readonly number[], startMs = 0): (Transition | undefined)[] {
  return values.map((v, i) => {
    const d = ev.draft();
    const t = d.observe(at(v, startMs + i * 10_000));
    d.commit();
    return t;
  });
}

describe('alerter > rules > rate-of-change', () => {
  it('names the derived signal after the signal and the time unit', () => {
    expect(rateSignalOf(rule)).toBe('temperature_c_per_min');
    expect(rateSignalOf({ signal: 'voltage_v', per: 's' })).toBe('voltage_v_per_s');
  });

  it('has no rate until a reading a whole window back exists, then fires on the change over the window', () => {
    const ev = new RateOfChangeEvaluator(rule);
    // +0.25 °C every 10 s = 1.5 °C/min: nothing for the first 60 s (no anchor), WARNING at t = 60 s
    const ts = run(ev, [20, 20.25, 20.5, 20.75, 21, 21.25, 21.5, 21.75]);
    expect(ts.slice(0, 6)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(ts[6]).toMatchObject({ state: 'FIRING', severity: 'WARNING', signal: 'temperature_c_per_min', value: 1.5, threshold: 1, atMs: 60_000 });
    expect(ts[7]).toBeUndefined(); // no repeat while firing
    expect(toAlert(ts[6]!).message).toBe('WARNING: arbin-1 channel 1 temperature_c_per_min = 1.5 > 1 (over 60 s) (rule cell-heating)');
  });

  it('escalates, keeps firing between clear and the bound (hysteresis) and resolves below clear, one episode', () => {
    const ev = new RateOfChangeEvaluator(rule);
    // 6 steady readings, then +0.5/10 s (3 °C/min over 60 s once the window is full of it), then flat
    const values = [20, 20, 20, 20, 20, 20, 20, 20.5, 21, 21.5, 22, 22.5, 23, 23.5, 23.6, 23.7, 23.8, 23.9, 24, 24, 24, 24, 24, 24, 24];
    const ts = run(ev, values).filter((t) => t !== undefined);
    expect(ts.map((t) => `${t.state}:${t.severity}:${t.value}@${t.atMs / 1000}`)).toEqual([
      'FIRING:WARNING:1.5@90', // 20 → 21.5 over 60 s (at 80 s: exactly 1, not above)
      'FIRING:CRITICAL:2.5@110', // 20 → 22.5 (at 100 s: exactly 2)
      'RESOLVED:CRITICAL:0.4@200', // 23.6 → 24 (at 190 s: 0.5, not below clear)
    ]);
    expect(new Set(ts.map((t) => toAlert(t).alert_id)).size).toBe(1);
  });

  it('takes the rate down with direction below and negative bounds (a falling voltage)', () => {
    const ev = new RateOfChangeEvaluator({ ...rule, id: 'v-drop', signal: 'voltage_v', per: 's', windowMs: 20_000, direction: 'below', warning: undefined, critical: -0.01, clear: -0.001 });
    const ts = run(ev, [4.2, 4.19, 3.9, 3.8]).filter((t) => t !== undefined);
    expect(ts).toHaveLength(1);
    expect(ts[0]).toMatchObject({ state: 'FIRING', severity: 'CRITICAL', signal: 'voltage_v_per_s', value: -0.015, atMs: 20_000 });
  });

  it('waits for the for-duration on the rate, as a threshold does', () => {
    const ev = new RateOfChangeEvaluator({ ...rule, forMs: 20_000 });
    const ts = run(ev, [20, 20.25, 20.5, 20.75, 21, 21.25, 21.5, 21.75, 22, 22.25]);
    expect(ts.findIndex((t) => t !== undefined)).toBe(8); // rate above 1 from t = 60 s, fires at 80 s
    expect(ts[8]).toMatchObject({ state: 'FIRING', atMs: 80_000 });
  });

  it('gives no rate across a gap longer than two windows', () => {
    const ev = new RateOfChangeEvaluator(rule);
    run(ev, [20, 20, 20, 20, 20, 20, 20]);
    const d = ev.draft();
    expect(d.observe(at(40, 60_000 + 200_000))).toBeUndefined(); // +20 °C after 200 s of silence: no rate over the gap
    d.commit();
  });

  it('derives the same transition from a redelivered batch whose draft was dropped', () => {
    const ev = new RateOfChangeEvaluator(rule);
    run(ev, [20, 20.25, 20.5, 20.75, 21, 21.25]);
    const first = ev.draft();
    const t1 = first.observe(at(21.5, 60_000)); // not committed: the publish failed
    const again = ev.draft();
    const t2 = again.observe(at(21.5, 60_000));
    expect(t1).toMatchObject({ state: 'FIRING', value: 1.5 });
    expect(t2).toEqual(t1);
  });

  it('resolves a firing series that leaves the scope and measures anew after it', () => {
    const ev = new RateOfChangeEvaluator(rule);
    const fired = run(ev, [20, 20.25, 20.5, 20.75, 21, 21.25, 21.5]).at(-1);
    expect(fired).toMatchObject({ state: 'FIRING' });
    const d = ev.draft();
    expect(d.leave(at(21.6, 70_000))).toMatchObject({ state: 'RESOLVED', threshold: null, value: 21.6 });
    d.commit();
    // history dropped: the next readings have no rate until a window has passed again
    expect(run(ev, [30, 40], 80_000)).toEqual([undefined, undefined]);
  });
});
