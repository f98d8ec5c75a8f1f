import { describe, expect, it } from 'vitest';
import type { Reading } from '@busbar/avro';
import type { RuleEngine } from '../../src/rules/engine.js';
import { rateOfChangeEngine, signalValue, thresholdEngine } from '../../src/rules/reading-rules.js';
import { stateReading } from '../support/events.js';

/** Cell temperature above 45 °C, only while channel status is Charge. */
const scoped = thresholdEngine({ id: 'hot-charge', devices: ['arbin-*'], signal: 'temperature_c', direction: 'above', critical: 45, clear: 40, forMs: 0, when: { states: { status: ['Charge'] } } });

function feed(engine: RuleEngine, readings: Reading[]) {
  const d = engine.draft(0);
  for (const r of readings) d.reading(r, 4);
  d.commit();
  return d;
}

const at = (temperatureC: number, atMs: number, status: string): Reading => stateReading({ temperature_c: temperatureC }, atMs, 'arbin-1', { states: { status, test_name: 'cell-042' } });

describe('alerter > rules > reading-rules', () => {
  it('reads the signal from values, else from exact values; ignores non-finite values', () => {
    expect(signalValue({ values: { a: 1 }, exact_values: { a: '2' } }, 'a')).toBe(1);
    expect(signalValue({ values: {}, exact_values: { a: '12.5' } }, 'a')).toBe(12.5);
    expect(signalValue({ values: { a: Number.NaN }, exact_values: {} }, 'a')).toBeUndefined();
    expect(signalValue({ values: {}, exact_values: {} }, 'a')).toBeUndefined();
  });

  it('fires a scoped rule only in its state: the same value while resting sends nothing', () => {
    const e = scoped;
    e.clear();
    expect(feed(e, [at(50, 1000, 'Rest'), at(50, 2000, 'Discharge')]).transitions).toEqual([]);
    const d = feed(e, [at(50, 3000, 'Charge')]);
    expect(d.transitions).toMatchObject([{ state: 'FIRING', severity: 'CRITICAL', value: 50, partition: 4, channel: 1 }]);
    expect(d.writes).toMatchObject([{ partition: 4, key: 'hot-charge|arbin-1|1', record: { severity: 'CRITICAL', episode: 1 } }]);
  });

  it('resolves a firing scoped rule when the channel leaves the state, and writes a tombstone', () => {
    const e = scoped;
    e.clear();
    feed(e, [at(50, 1000, 'Charge')]);
    const d = feed(e, [at(50, 2000, 'Rest')]);
    expect(d.transitions).toMatchObject([{ state: 'RESOLVED', value: 50, threshold: null }]);
    expect(d.writes).toEqual([{ partition: 4, key: 'hot-charge|arbin-1|1', record: null }]);
    expect(feed(e, [at(50, 3000, 'Rest')]).transitions).toEqual([]); // out of scope stays quiet
    expect(feed(e, [at(50, 4000, 'Charge')]).transitions).toMatchObject([{ state: 'FIRING', episode: 2 }]);
  });

  it('restarts the for-duration when the reading leaves the scope in between', () => {
    const e = thresholdEngine({ id: 'hot', devices: ['*'], signal: 'temperature_c', direction: 'above', critical: 45, clear: 40, forMs: 10_000, when: { states: { status: ['Charge'] } } });
    expect(feed(e, [at(50, 0, 'Charge'), at(50, 6000, 'Rest'), at(50, 7000, 'Charge'), at(50, 16_000, 'Charge')]).transitions).toEqual([]);
    expect(feed(e, [at(50, 17_000, 'Charge')]).transitions).toMatchObject([{ state: 'FIRING', atMs: 17_000 }]);
  });

  it('scopes a rate-of-change rule: the rate counts only readings in the state', () => {
    const e = rateOfChangeEngine({ id: 'heating', devices: ['*'], signal: 'temperature_c', per: 'min', windowMs: 60_000, direction: 'above', critical: 1, clear: 0.5, forMs: 0, when: { states: { status: ['Charge'] } } });
    // rising 3 °C/min while resting: nothing
    expect(feed(e, [0, 1, 2, 3, 4].map((i) => at(20 + i * 1.5, i * 30_000, 'Rest'))).transitions).toEqual([]);
    // the same rise while charging fires once the window is full
    const d = feed(e, [5, 6, 7].map((i) => at(20 + i * 1.5, i * 30_000, 'Charge')));
    expect(d.transitions).toMatchObject([{ state: 'FIRING', signal: 'temperature_c_per_min', value: 3, atMs: 210_000 }]);
  });
});
