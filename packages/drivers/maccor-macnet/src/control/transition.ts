/**
 * A pure classifier of channel state changes between two polls, for the collector's device events
 * and the alerter. Inputs are Stat/RF1/RF2 (Maccor MacNet reference §7) and optionally step/cycle.
 *
 * Phases: Stat 2 Active, 8 Start, 12 Starting → running; 3 Suspended (or RF1 30) → suspended;
 * 4 Completed (or RF1 31) → completed; 5 Problem, 9 PWR Fail, 10 No Cntllr (or RF1 29) → fault;
 * 0 Available, 1 Selected, 7 Reset → idle; anything else → other. A stop whose RF2 is a safety code
 * (§7.3: 189-191, 196, 197, 253) is reported as `safety_stop`. No I/O.
 */
import { RF2_SAFETY_CODES } from '../codec/tables.js';
import { rf2Name, statName } from '../codec/tables.js';

/** The inputs the classifier reads (a {@link ChannelReading} or a (4,1) status fits). */
export interface ChannelStateSample {
  readonly stat: number;
  readonly rf1: number;
  readonly rf2: number;
  readonly step?: number;
  readonly cycle?: number;
}

/** Coarse channel phase derived from Stat and RF1. */
export type ChannelPhase = 'idle' | 'running' | 'suspended' | 'completed' | 'fault' | 'other';

/** What happened between two samples. */
export type ChannelTransitionKind =
  | 'initial'
  | 'none'
  | 'started'
  | 'resumed'
  | 'suspended'
  | 'completed'
  | 'safety_stop'
  | 'fault'
  | 'reset'
  | 'step_changed'
  | 'changed';

/** Result of {@link channelStateTransition}. */
export interface ChannelTransition {
  readonly kind: ChannelTransitionKind;
  readonly from: ChannelPhase | undefined;
  readonly to: ChannelPhase;
  /** Stat name and RF2 reason of `next`, for messages. */
  readonly stat_name: string;
  readonly reason: string;
}

/** Phase of one sample (see module doc). */
export function channelPhase(s: ChannelStateSample): ChannelPhase {
  if (s.stat === 5 || s.stat === 9 || s.stat === 10 || s.rf1 === 29) return 'fault';
  if (s.stat === 3 || s.rf1 === 30) return 'suspended';
  if (s.stat === 4 || s.rf1 === 31) return 'completed';
  if (s.stat === 2 || s.stat === 8 || s.stat === 12) return 'running';
  if (s.stat === 0 || s.stat === 1 || s.stat === 7) return 'idle';
  return 'other';
}

/**
 * Classifies the change from `prev` (undefined for the first sample) to `next`.
 * @returns kind: `initial`, `none`, `started` (idle/completed/fault → running), `resumed`
 *   (suspended → running), `suspended`, `completed`, `safety_stop` (a stop with a safety RF2),
 *   `fault`, `reset` (→ idle), `step_changed` (running, step or cycle moved), `changed` (other).
 */
export function channelStateTransition(prev: ChannelStateSample | undefined, next: ChannelStateSample): ChannelTransition {
  const to = channelPhase(next);
  const base = { to, stat_name: statName(next.stat), reason: rf2Name(next.rf2) };
  if (prev === undefined) return { ...base, kind: 'initial', from: undefined };
  const from = channelPhase(prev);
  const safety = RF2_SAFETY_CODES.has(next.rf2);
  let kind: ChannelTransitionKind;
  if (from === to) {
    if (to === 'running' && ((next.step !== undefined && next.step !== prev.step) || (next.cycle !== undefined && next.cycle !== prev.cycle))) kind = 'step_changed';
    else if (prev.stat !== next.stat || prev.rf1 !== next.rf1 || prev.rf2 !== next.rf2) kind = 'changed';
    else kind = 'none';
  } else if (to === 'running') kind = from === 'suspended' ? 'resumed' : 'started';
  else if (to === 'completed') kind = safety ? 'safety_stop' : 'completed';
  else if (to === 'suspended') kind = safety ? 'safety_stop' : 'suspended';
  else if (to === 'fault') kind = safety ? 'safety_stop' : 'fault';
  else if (to === 'idle') kind = 'reset';
  else kind = 'changed';
  return { ...base, kind, from };
}
