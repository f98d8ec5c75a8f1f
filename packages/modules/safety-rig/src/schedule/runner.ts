/**
 * Runs a {@link Schedule} from a monotonic clock: step k starts when step k − 1's duration has
 * elapsed, measured from when step k − 1 started (no drift from late ticks, no dependence on a loop
 * period as in the original, safety-rig reference §7). The interlock pauses it on warning (the
 * remaining time of the step is kept) and stops it on dangerous or safe.
 *
 * Pure: time comes in as arguments (monotonic ms); the caller applies each `step` event's set-point
 * to the PCS and calls {@link ScheduleRunner.tick} at {@link ScheduleRunner.nextDeadlineMs}.
 */
import type { RigState } from '../interlock/engine.js';
import type { Schedule, ScheduleStep } from './csv.js';

/** Where a runner is. */
export type ScheduleStatus = 'idle' | 'running' | 'paused' | 'stopped' | 'completed';

/** What happened; `step` and `resumed` carry the set-point to apply now. */
export type ScheduleEvent =
  | { readonly kind: 'step'; readonly index: number; readonly step: ScheduleStep; readonly atMs: number }
  | { readonly kind: 'paused'; readonly index: number; readonly remainingMs: number; readonly atMs: number; readonly reason: string }
  | { readonly kind: 'resumed'; readonly index: number; readonly step: ScheduleStep; readonly atMs: number }
  | { readonly kind: 'stopped'; readonly index: number; readonly atMs: number; readonly reason: string }
  | { readonly kind: 'completed'; readonly atMs: number };

/** Options of a {@link ScheduleRunner}. */
export interface ScheduleRunnerOptions {
  /** After the last step start again at the first (the original always did). @default false */
  readonly repeat?: boolean;
}

/** One schedule's execution. A stopped or completed runner is not restarted: make a new one. */
export class ScheduleRunner {
  private statusValue: ScheduleStatus = 'idle';
  private index = 0;
  private stepEndsAtMs = 0;
  private remainingMs = 0;
  private pausedByInterlock = false;
  private readonly repeat: boolean;

  /** @param schedule - a validated schedule (`parseScheduleCsv`). */
  constructor(readonly schedule: Schedule, options: ScheduleRunnerOptions = {}) {
    this.repeat = options.repeat ?? false;
  }

  /** Where the runner is. */
  get status(): ScheduleStatus {
    return this.statusValue;
  }

  /** The current step's index (0-based). */
  get stepIndex(): number {
    return this.index;
  }

  /** Starts at the first step now. @throws {Error} when not idle (a runner runs once). */
  start(nowMs: number): ScheduleEvent[] {
    if (this.statusValue !== 'idle') throw new Error(`schedule ${this.schedule.name} is ${this.statusValue}, not idle`);
    this.statusValue = 'running';
    this.index = 0;
    const step = this.schedule.steps[0]!;
    this.stepEndsAtMs = nowMs + step.durationS * 1000;
    return [{ kind: 'step', index: 0, step, atMs: nowMs }];
  }

  /** Enters every step whose start time has come (several after a late tick, each reported). */
  tick(nowMs: number): ScheduleEvent[] {
    const events: ScheduleEvent[] = [];
    const steps = this.schedule.steps;
    while (this.statusValue === 'running' && nowMs >= this.stepEndsAtMs) {
      const startedAt = this.stepEndsAtMs;
      if (this.index + 1 >= steps.length && !this.repeat) {
        this.statusValue = 'completed';
        events.push({ kind: 'completed', atMs: startedAt });
        break;
      }
      this.index = (this.index + 1) % steps.length;
      const step = steps[this.index]!;
      this.stepEndsAtMs = startedAt + step.durationS * 1000;
      events.push({ kind: 'step', index: this.index, step, atMs: startedAt });
    }
    return events;
  }

  /** When {@link tick} has something to do next (monotonic ms); undefined unless running. */
  nextDeadlineMs(): number | undefined {
    return this.statusValue === 'running' ? this.stepEndsAtMs : undefined;
  }

  /** Holds the current step, keeping its remaining time. No-op unless running. */
  pause(nowMs: number, reason: string): ScheduleEvent[] {
    const due = this.tick(nowMs);
    if (this.statusValue !== 'running') return due;
    this.statusValue = 'paused';
    this.remainingMs = this.stepEndsAtMs - nowMs;
    return [...due, { kind: 'paused', index: this.index, remainingMs: this.remainingMs, atMs: nowMs, reason }];
  }

  /** Continues the current step for its remaining time; its set-point is to be applied again. No-op unless paused. */
  resume(nowMs: number): ScheduleEvent[] {
    if (this.statusValue !== 'paused') return [];
    this.statusValue = 'running';
    this.pausedByInterlock = false;
    this.stepEndsAtMs = nowMs + this.remainingMs;
    return [{ kind: 'resumed', index: this.index, step: this.schedule.steps[this.index]!, atMs: nowMs }];
  }

  /** Ends the schedule. No-op when already stopped, completed or never started. */
  stop(nowMs: number, reason: string): ScheduleEvent[] {
    if (this.statusValue !== 'running' && this.statusValue !== 'paused') return [];
    this.statusValue = 'stopped';
    return [{ kind: 'stopped', index: this.index, atMs: nowMs, reason }];
  }

  /**
   * Follows the interlock: warning pauses, a return to normal resumes what warning paused (not a
   * pause of someone else's), dangerous and safe stop.
   */
  follow(state: RigState, nowMs: number): ScheduleEvent[] {
    switch (state) {
      case 'warning': {
        const events = this.pause(nowMs, 'interlock warning');
        if (this.statusValue === 'paused' && events.some((e) => e.kind === 'paused')) this.pausedByInterlock = true;
        return events;
      }
      case 'normal':
        return this.pausedByInterlock ? this.resume(nowMs) : [];
      case 'dangerous':
      case 'safe':
        return this.stop(nowMs, `interlock ${state}`);
    }
  }
}
