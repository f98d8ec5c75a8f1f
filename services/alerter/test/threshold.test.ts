import { describe, expect, it } from 'vitest';
import { ThresholdEvaluator } from '../src/rules/threshold.js';
import { toAlert } from '../src/alert.js';
import type { ThresholdRule } from '../src/rules/threshold.js';

const rule: ThresholdRule = { id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', warning: 60, critical: 80, clear: 55, forMs: 0 };
const at = (value: number, atMs: number, deviceId = 'psu-1') => ({ deviceId, channel: null, value, atMs });

describe('alerter > rules > threshold', () => {
  it('fires once beyond the critical bound, stays quiet while firing, resolves only past the clear bound', () => {
    const ev = new ThresholdEvaluator(rule);
    const seq = [40, 95, 96, 90, 58, 56, 54, 40].map((v, i) => ev.observe(at(v, i * 1000)));
    const transitions = seq.filter((t) => t !== undefined);
    expect(transitions.map((t) => [t.state, t.severity, t.value, t.threshold])).toEqual([
      ['FIRING', 'CRITICAL', 95, 80],
      ['RESOLVED', 'CRITICAL', 54, 55],
    ]);
    const [fire, resolve] = transitions;
    expect(toAlert(fire!).alert_id).toBe(toAlert(resolve!).alert_id);
    expect(toAlert(fire!).message).toBe('CRITICAL: psu-1 temperature_c = 95 > 80 (rule psu-temp)');
  });

  it('escalates WARNING to CRITICAL within one episode and starts a new episode after resolving', () => {
    const ev = new ThresholdEvaluator(rule);
    const t = [65, 70, 85, 50, 65].map((v, i) => ev.observe(at(v, i)));
    expect(t.map((x) => x && `${x.state}:${x.severity}:${x.episode}`)).toEqual(['FIRING:WARNING:1', undefined, 'FIRING:CRITICAL:1', 'RESOLVED:CRITICAL:1', 'FIRING:WARNING:2']);
    expect(toAlert(t[0]!).alert_id).toBe(toAlert(t[2]!).alert_id);
    expect(toAlert(t[4]!).alert_id).not.toBe(toAlert(t[0]!).alert_id);
  });

  it('waits for the for-duration, and a dip below the bound restarts it', () => {
    const ev = new ThresholdEvaluator({ ...rule, forMs: 5000 });
    expect(ev.observe(at(90, 0))).toBeUndefined();
    expect(ev.observe(at(90, 4000))).toBeUndefined();
    expect(ev.observe(at(50, 4500))).toBeUndefined();
    expect(ev.observe(at(90, 6000))).toBeUndefined();
    expect(ev.observe(at(90, 10_999))).toBeUndefined();
    expect(ev.observe(at(90, 11_000))).toMatchObject({ state: 'FIRING', severity: 'CRITICAL', atMs: 11_000 });
  });

  it('keeps series apart per device and supports direction below', () => {
    const ev = new ThresholdEvaluator({ id: 'low-v', devices: ['*'], signal: 'voltage_v', direction: 'below', critical: 2.5, clear: 2.8, forMs: 0 });
    expect(ev.observe(at(2.4, 0, 'a'))).toMatchObject({ state: 'FIRING', deviceId: 'a' });
    expect(ev.observe(at(2.4, 0, 'b'))).toMatchObject({ state: 'FIRING', deviceId: 'b' });
    expect(ev.observe(at(2.7, 1, 'a'))).toBeUndefined();
    expect(ev.observe(at(2.9, 2, 'a'))).toMatchObject({ state: 'RESOLVED', deviceId: 'a', threshold: 2.8 });
    expect(ev.seriesCount).toBe(2);
  });

  describe('for-duration per severity', () => {
    const slow = { ...rule, forMs: 10_000 };

    it('does not let a CRITICAL inherit the WARNING clock: 75 from 0 s, 95 from 9.9 s → WARNING at 10 s, CRITICAL at 19.9 s', () => {
      const ev = new ThresholdEvaluator(slow);
      expect(ev.observe(at(75, 0))).toBeUndefined();
      expect(ev.observe(at(95, 9_900))).toBeUndefined();
      const warning = ev.observe(at(95, 10_000)); // the WARNING's own 10 s have passed; only 100 ms above critical
      expect(warning).toMatchObject({ state: 'FIRING', severity: 'WARNING', threshold: 60, episode: 1, atMs: 10_000 });
      expect(ev.observe(at(95, 19_899))).toBeUndefined();
      const critical = ev.observe(at(95, 19_900));
      expect(critical).toMatchObject({ state: 'FIRING', severity: 'CRITICAL', threshold: 80, episode: 1, episodeStartMs: 10_000 });
      expect(toAlert(critical!).alert_id).toBe(toAlert(warning!).alert_id);
      expect(ev.observe(at(95, 30_000))).toBeUndefined();
    });

    it('fires CRITICAL directly when both bounds were breached for forMs from the same reading', () => {
      const ev = new ThresholdEvaluator(slow);
      expect(ev.observe(at(95, 0))).toBeUndefined();
      expect(ev.observe(at(95, 10_000))).toMatchObject({ state: 'FIRING', severity: 'CRITICAL' });
    });

    it('restarts the critical clock when the value dips below critical, keeping the warning clock', () => {
      const ev = new ThresholdEvaluator(slow);
      expect(ev.observe(at(95, 0))).toBeUndefined();
      expect(ev.observe(at(75, 5_000))).toBeUndefined(); // still above warning
      expect(ev.observe(at(95, 6_000))).toBeUndefined();
      expect(ev.observe(at(95, 10_000))).toMatchObject({ state: 'FIRING', severity: 'WARNING' });
      expect(ev.observe(at(95, 15_999))).toBeUndefined();
      expect(ev.observe(at(95, 16_000))).toMatchObject({ state: 'FIRING', severity: 'CRITICAL' });
    });

    it('escalates a firing WARNING only after forMs above critical', () => {
      const ev = new ThresholdEvaluator(slow);
      ev.observe(at(75, 0));
      expect(ev.observe(at(75, 10_000))).toMatchObject({ severity: 'WARNING' });
      expect(ev.observe(at(95, 12_000))).toBeUndefined();
      expect(ev.observe(at(95, 21_999))).toBeUndefined();
      expect(ev.observe(at(95, 22_000))).toMatchObject({ state: 'FIRING', severity: 'CRITICAL', episode: 1 });
    });
  });

  describe('drafts', () => {
    it('leaves the state untouched until commit, so the same samples give the same transition again', () => {
      const ev = new ThresholdEvaluator(rule);
      const first = ev.draft();
      const t1 = first.observe(at(95, 1000));
      expect(t1).toMatchObject({ state: 'FIRING', severity: 'CRITICAL', episode: 1, episodeStartMs: 1000 });
      expect(first.observe(at(96, 2000))).toBeUndefined(); // the draft sees its own observations
      expect(ev.seriesCount).toBe(0); // dropped without commit
      const second = ev.draft();
      const t2 = second.observe(at(95, 1000));
      expect(t2).toEqual(t1);
      second.commit();
      expect(ev.seriesCount).toBe(1);
      expect(ev.draft().observe(at(95, 1000))).toBeUndefined(); // committed: already firing
    });
  });
});
