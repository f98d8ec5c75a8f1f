import { describe, expect, it } from 'vitest';
import { ManualClock } from '@busbar/core';
import { parseScheduleCsv } from '../../src/schedule/csv.js';
import { ScheduleRunner } from '../../src/schedule/runner.js';

const ENVELOPE = { currentA: { min: -100, max: 100 }, powerKw: { min: -30, max: 30 } };
const schedule = parseScheduleCsv('Interval [s],Current [A]\n600,-20\n300,0\n600,20\n', 'current', ENVELOPE, 's.csv');

describe('Safety rig > schedule > runner', () => {
  it('applies the first step at once and each next one when the previous duration elapsed', () => {
    const clock = new ManualClock(5000);
    const r = new ScheduleRunner(schedule);
    expect(r.start(clock.nowMs())).toEqual([{ kind: 'step', index: 0, step: schedule.steps[0], atMs: 5000 }]);
    expect(r.nextDeadlineMs()).toBe(5000 + 600_000);
    clock.advance(599_999);
    expect(r.tick(clock.nowMs())).toEqual([]);
    clock.advance(1);
    expect(r.tick(clock.nowMs())).toEqual([{ kind: 'step', index: 1, step: schedule.steps[1], atMs: 605_000 }]);
    expect(r.nextDeadlineMs()).toBe(905_000);
  });

  it('a late tick enters every due step, timed from the schedule, not from the tick (no drift)', () => {
    const r = new ScheduleRunner(schedule, { repeat: true });
    r.start(0);
    const events = r.tick(1_000_000); // steps start at 600 000, 900 000; the next at 1 500 000
    expect(events.map((e) => (e.kind === 'step' ? [e.index, e.atMs] : e.kind))).toEqual([[1, 600_000], [2, 900_000]]);
    expect(r.nextDeadlineMs()).toBe(1_500_000);
    expect(r.tick(1_500_000).map((e) => (e.kind === 'step' ? e.index : e.kind))).toEqual([0]); // repeats
  });

  it('completes after the last step unless repeating', () => {
    const r = new ScheduleRunner(schedule);
    r.start(0);
    expect(r.tick(1_500_000).map((e) => e.kind)).toEqual(['step', 'step', 'completed']);
    expect(r.status).toBe('completed');
    expect(r.nextDeadlineMs()).toBeUndefined();
    expect(r.tick(9_000_000)).toEqual([]);
  });

  it('warning pauses keeping the remaining time; normal resumes the same step for what remained', () => {
    const r = new ScheduleRunner(schedule);
    r.start(0);
    expect(r.follow('warning', 100_000)).toEqual([{ kind: 'paused', index: 0, remainingMs: 500_000, atMs: 100_000, reason: 'interlock warning' }]);
    expect(r.nextDeadlineMs()).toBeUndefined();
    expect(r.tick(10_000_000)).toEqual([]); // time does not run while paused
    expect(r.follow('warning', 200_000)).toEqual([]);
    expect(r.follow('normal', 400_000)).toEqual([{ kind: 'resumed', index: 0, step: schedule.steps[0], atMs: 400_000 }]);
    expect(r.nextDeadlineMs()).toBe(900_000);
  });

  it('normal does not resume a schedule that the interlock did not pause', () => {
    const r = new ScheduleRunner(schedule);
    r.start(0);
    r.pause(10, 'operator');
    expect(r.follow('normal', 20)).toEqual([]);
    expect(r.status).toBe('paused');
  });

  it('dangerous and safe stop it for good', () => {
    const r = new ScheduleRunner(schedule);
    r.start(0);
    r.follow('warning', 1000);
    expect(r.follow('dangerous', 2000)).toEqual([{ kind: 'stopped', index: 0, atMs: 2000, reason: 'interlock dangerous' }]);
    expect(r.follow('normal', 3000)).toEqual([]);
    expect(r.follow('safe', 3000)).toEqual([]);
    expect(r.status).toBe('stopped');
    expect(() => r.start(4000)).toThrow(/stopped, not idle/);
  });

  it('a pause at a step boundary first enters the due step', () => {
    const r = new ScheduleRunner(schedule);
    r.start(0);
    expect(r.pause(600_000, 'x').map((e) => e.kind)).toEqual(['step', 'paused']);
    expect(r.stepIndex).toBe(1);
  });
});
