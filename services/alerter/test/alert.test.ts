import { describe, expect, it } from 'vitest';
import { alertId, toAlert } from '../src/alert.js';
import { ThresholdEvaluator } from '../src/rules/threshold.js';
import type { ThresholdRule } from '../src/rules/threshold.js';

const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };
const at = (value: number, atMs: number) => ({ deviceId: 'psu-1', channel: null, value, atMs });

describe('alerter > alert', () => {
  it('gives FIRING, escalation and RESOLVED of one episode one id', () => {
    const ev = new ThresholdEvaluator(rule);
    const ts = [ev.observe(at(65, 1000)), ev.observe(at(85, 2000)), ev.observe(at(50, 3000))];
    expect(ts.map((t) => t && `${t.state}:${t.severity}`)).toEqual(['FIRING:WARNING', 'FIRING:CRITICAL', 'RESOLVED:CRITICAL']);
    expect(new Set(ts.map((t) => alertId(t!))).size).toBe(1);
    expect(ts.every((t) => t!.episodeStartMs === 1000)).toBe(true);
  });

  it('gives a new episode after a restart a new id, although its episode number is 1 again', () => {
    const before = new ThresholdEvaluator(rule); // first process
    const oldFiring = before.observe(at(95, 1_000))!;
    const oldResolved = before.observe(at(40, 2_000))!;
    const after = new ThresholdEvaluator(rule); // restarted process: state and episode numbers start anew
    const newFiring = after.observe(at(95, 60_000))!;
    expect(newFiring.episode).toBe(oldFiring.episode);
    expect(alertId(newFiring)).not.toBe(alertId(oldFiring));
    expect(alertId(oldResolved)).toBe(alertId(oldFiring));
    expect(toAlert(newFiring).alert_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('gives the same reading firing the same episode the same id (a replay is recognisable)', () => {
    const a = new ThresholdEvaluator(rule).observe(at(95, 5_000))!;
    const b = new ThresholdEvaluator(rule).observe(at(95, 5_000))!;
    expect(alertId(a)).toBe(alertId(b));
  });
});
