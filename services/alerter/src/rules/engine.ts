/**
 * The common shape of every rule kind as the handler drives it, pure: a {@link RuleEngine} keeps
 * the state of its series, and a {@link EngineDraft} evaluates one batch (readings, device events
 * or a timer tick) on a copy of it, collecting the transitions to publish and the durable state
 * records to write (`rule-state/record.ts`). The handler commits the draft only after the
 * transitions were published, recorded in the outbox and the state written, so a failure leaves
 * the state as it was and the retried batch (or the next tick) derives the same transitions.
 */
import type { DeviceEvent, Reading } from '@busbar/avro';
import type { StoredSeries } from '../rule-state/record.js';
import type { RuleRef, Transition } from './transition.js';

/** A transition and the partition (of its input topic = of the state topic) its series lives in. */
export interface PartitionedTransition extends Transition {
  /** Partition of the series (readings or device-events partition; the same number in the state topic). */
  readonly partition: number;
}

/** One write of the durable rule state: a record (firing or waiting) or a tombstone (`null`). */
export interface StateWrite {
  /** Partition of the state topic (= the series' input partition). */
  readonly partition: number;
  /** Series key. */
  readonly key: string;
  /** What the series is now; `null`: nothing to remember (tombstone). */
  readonly record: StoredSeries | null;
}

/** What one batch (or tick) did to the rule's state, not applied until {@link EngineDraft.commit}. */
export interface EngineDraft {
  /** Feeds one reading (rules on events ignore it). */
  reading(r: Reading, partition: number): void;
  /** Feeds one device event (rules on readings ignore it). */
  event(e: DeviceEvent, partition: number): void;
  /** Evaluates the timers due at the draft's time (no-data silence, pending events, quiet times). */
  tick(): void;
  /** The transitions so far, in order. */
  readonly transitions: readonly PartitionedTransition[];
  /** The state writes so far, in order (the last one of a key wins). */
  readonly writes: readonly StateWrite[];
  /** Applies the draft to the engine (once; later calls do nothing). */
  commit(): void;
}

/** One configured rule with the state of its series. */
export interface RuleEngine {
  readonly rule: RuleRef;
  /** The topic the rule reads: readings or device events. */
  readonly input: 'readings' | 'events';
  /** Whether the rule has timers (the handler then ticks it). */
  readonly timed: boolean;
  /** Starts a draft at time `nowMs` (the alerter's clock, ms since epoch). */
  draft(nowMs: number): EngineDraft;
  /**
   * Restores the series of one partition from the durable state (records of this rule only),
   * replacing what was known of them; `nowMs`: the time of the load (timer rules count silences
   * from it at the earliest).
   */
  restore(partition: number, records: readonly StoredSeries[], nowMs: number): void;
  /** Forgets every series (before the state of newly assigned partitions is restored). */
  clear(): void;
}
