/**
 * Delivery of one grouped channel (built-in `group_by`, `grouping.ts`): the dispatcher's hook for a
 * channel with `Notifier.sendGroup` when `routing.groupBy` is configured.
 *
 * A batch's records are put in their groups and the batch handler returns `{ committed: true }` at
 * once, so the partition's later records are fetched while groups wait `group_wait` /
 * `group_interval` (the consumer moves on without committing). A timer sends the groups that are
 * due; once a notification was delivered (or given up: expired, or refused for good) the records it
 * covered are done, and each partition is committed up to the lowest offset not done yet
 * (`BatchControl.commitLater`, which leaves the fetch position alone). So nothing is committed
 * before it was notified: a crash, a stop or a hand-over leaves the rest in Kafka, and the
 * partition's next owner reads it again and groups it anew — a group notification can then be sent
 * twice (records dropped on a hand-over: `busbar_alerter_group_records_dropped_total`).
 *
 * A notification that fails is tried again with the dispatcher's backoff, as the group is then
 * (changes meanwhile included), until delivered or expired (`expireAfterMs` after its oldest
 * record was written); a repeat that fails is not retried (the next repeat is an interval later).
 *
 * Metrics: `busbar_alerter_groups_open{channel}`, `busbar_alerter_group_notifications_total{channel,kind}`
 * (kind `first`, `update`, `repeat`), `busbar_alerter_group_notification_alerts{channel}` (alerts per
 * group notification), `busbar_alerter_group_records_dropped_total{channel}`; deliveries, failed
 * attempts and expiries also count in the dispatcher's per-channel metrics. Each group notification
 * is logged at info (group key, alert ids, status).
 */
import type { Alert } from '@busbar/avro';
import type { BackoffOptions, Clock, Logger, Metrics } from '@busbar/core';
import { backoffDelayMs, errorCode, isBusbarError } from '@busbar/core';
import type { BatchControl, BatchOutcome, ConsumedRecord } from '@busbar/kafka';
import type { AlertGroup } from './group.js';
import { groupStatus } from './group.js';
import type { GroupNotification, GroupingOptions, RecordRef } from './grouping.js';
import { AlertGrouping, HeldOffsets } from './grouping.js';

/** What the dispatcher gives a grouped channel. */
export interface GroupedDeliveryOptions {
  /** The channel's name (metrics, logs). */
  readonly channel: string;
  /** Sends one group notification. @throws as `Notifier.sendGroup` (retried unless `retriable: false`). */
  readonly sendGroup: (group: AlertGroup) => Promise<void>;
  /** Grouping (`routing.groupBy`, `groupWaitMs`, `groupIntervalMs`, the channel's repeat interval, labels). */
  readonly grouping: GroupingOptions;
  /**
   * The dispatcher's decision on a record before grouping (another alerter group's, expired,
   * routed elsewhere, silenced, inhibited, a state the channel does not take, acknowledged…):
   * `true` when the record enters its group, `false` when it is done without being sent (counted
   * and logged by the dispatcher).
   */
  readonly admit: (record: ConsumedRecord<Alert>) => boolean;
  /** Called for each record taken in hand and each record done (the dispatcher's pending gauges). */
  readonly onHeld: (r: RecordRef, held: boolean) => void;
  /** Outcome of each attempt (the dispatcher's per-channel metrics and `/readyz`). */
  readonly onAttempt: (outcome: { readonly ok: true; readonly kind: GroupNotification['kind'] } | { readonly ok: false; readonly error: string; readonly expired: boolean; readonly kind: GroupNotification['kind'] }) => void;
  /** Whether the channel's consumer is a member of its group now. */
  readonly member: () => boolean;
  /** Give a notification up this long after its oldest record was written, ms. */
  readonly expireAfterMs: number;
  /** Backoff between attempts of one notification. */
  readonly retry: BackoffOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** One grouped channel: batches in, group notifications out, commits after delivery. */
export class GroupedDelivery {
  private readonly grouping: AlertGrouping;
  private readonly held = new HeldOffsets();
  /** The latest batch control per partition (commits go through it). */
  private readonly controls = new Map<number, BatchControl>();
  /** Commits in order per partition. */
  private readonly committing = new Map<number, Promise<void>>();
  /** Failed attempts per group key in a row. */
  private readonly attempts = new Map<string, number>();
  private readonly sending = new Set<Promise<void>>();
  /** From a rebalance's start until the next assignment: nothing is sent. */
  private paused = true;
  private stopped = false;
  private readonly m;

  /** @param o - see {@link GroupedDeliveryOptions}. */
  constructor(private readonly o: GroupedDeliveryOptions) {
    this.grouping = new AlertGrouping(o.grouping, o.clock);
    this.m = {
      open: o.metrics.gauge({ name: 'busbar_alerter_groups_open', help: 'Alert groups a grouped channel holds (built-in group_by), by channel.', labelNames: ['channel'] }),
      notified: o.metrics.counter({ name: 'busbar_alerter_group_notifications_total', help: 'Group notifications delivered, by channel and kind (first: after group_wait, update: after group_interval, repeat: repeat_interval).', labelNames: ['channel', 'kind'] }),
      alerts: o.metrics.histogram({ name: 'busbar_alerter_group_notification_alerts', help: 'Alerts listed per group notification delivered, by channel.', labelNames: ['channel'], buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500] }),
      dropped: o.metrics.counter({ name: 'busbar_alerter_group_records_dropped_total', help: 'Alert records a grouped channel held uncommitted and dropped because their partition moved to another member (which groups and sends them again: a group notification may be sent twice), by channel.', labelNames: ['channel'] }),
    };
  }

  /**
   * The channel's batch handler: takes the records in hand (a record this member holds already —
   * fetched again after a rebalance — is not taken twice), puts those admitted in their groups,
   * marks the others done, and returns at once.
   */
  take(records: readonly ConsumedRecord<Alert>[], control: BatchControl): Promise<BatchOutcome> {
    const { partition } = control.nextOffset;
    this.controls.set(partition, control);
    if (records.length === 0) {
      // every record of the batch went to the dead-letter topic: committed past them only when
      // nothing earlier of the partition waits in hand (else the commit after its delivery covers them)
      const last = (BigInt(control.nextOffset.offset) - 1n).toString();
      if (this.held.release(partition, last)) this.commit(partition, last);
      return Promise.resolve({ committed: true });
    }
    for (const r of records) {
      if (!this.held.take(r.partition, r.offset)) continue;
      const ref: RecordRef = { partition: r.partition, offset: r.offset, writtenAtMs: r.kafkaTimestampMs };
      this.o.onHeld(ref, true);
      if (this.o.admit(r)) this.grouping.add(r.value, ref);
      else this.done([ref]);
    }
    this.m.open.set({ channel: this.o.channel }, this.grouping.size);
    return Promise.resolve({ committed: true });
  }

  /** An ACKNOWLEDGED record was read: the alert no longer makes its group repeat. */
  acknowledge(alertId: string): void {
    this.grouping.acknowledge(alertId);
  }

  /** A rebalance starts, the consumer crashed or stops: nothing is sent until {@link assigned}. */
  revoked(): void {
    this.paused = true;
  }

  /** The partitions assigned after a join: what this member held of the others is dropped (their next owner re-reads it). */
  assigned(partitions: readonly number[]): void {
    const dropped = this.grouping.keepPartitions(partitions);
    this.held.keepPartitions(partitions);
    for (const p of [...this.controls.keys()]) if (!partitions.includes(p)) this.controls.delete(p);
    for (const r of dropped) this.o.onHeld(r, false);
    if (dropped.length > 0) {
      this.m.dropped.inc({ channel: this.o.channel }, dropped.length);
      this.o.logger.info({ channel: this.o.channel, records: dropped.length, kept: partitions }, 'grouped alert records of partitions that moved dropped undelivered: their next owner groups and sends them');
    }
    this.m.open.set({ channel: this.o.channel }, this.grouping.size);
    this.paused = false;
  }

  /** One tick of the channel's timer: sends the groups that are due (each in the background). */
  tick(): void {
    if (this.stopped || this.paused || !this.o.member()) return;
    for (const n of this.grouping.due()) {
      const p = this.send(n).finally(() => this.sending.delete(p));
      this.sending.add(p);
    }
  }

  /** Stops sending; waits for the notifications in flight (delivered ones are committed). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.sending]);
    await Promise.allSettled([...this.committing.values()]);
  }

  private async send(n: GroupNotification): Promise<void> {
    const { channel } = this.o;
    const status = groupStatus(n.group);
    const ids = n.group.alerts.map((a) => a.alert_id);
    try {
      await this.o.sendGroup(n.group);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const code = errorCode(err);
      if (n.kind === 'repeat') {
        this.grouping.failed(n, 0);
        this.o.onAttempt({ ok: false, error: message, expired: false, kind: n.kind });
        this.o.logger.warn({ channel, groupKey: n.group.key, code, err: message }, 'repeat of a group notification failed; the next interval tries again');
        return;
      }
      const attempt = this.attempts.get(n.group.key) ?? 0;
      this.attempts.set(n.group.key, attempt + 1);
      const delay = backoffDelayMs(attempt, this.o.retry);
      const now = this.o.clock.nowMs();
      let oldest = now; // a loop, not Math.min(...refs): a group that failed for hours may hold more records than a call takes arguments
      for (const r of n.refs) if (r.writtenAtMs < oldest) oldest = r.writtenAtMs;
      if ((isBusbarError(err) && !err.retriable) || now + delay - oldest > this.o.expireAfterMs) {
        this.attempts.delete(n.group.key);
        this.o.onAttempt({ ok: false, error: message, expired: true, kind: n.kind });
        this.o.logger.error({ channel, groupKey: n.group.key, status, alertIds: ids, code, reason: message, attempts: attempt + 1 }, 'group notification given up undelivered');
        this.done(this.grouping.delivered(n));
        return;
      }
      this.o.onAttempt({ ok: false, error: message, expired: false, kind: n.kind });
      this.o.logger.warn({ channel, groupKey: n.group.key, code, err: message, attempts: attempt + 1, retryInMs: delay }, 'group notification failed; retried');
      this.grouping.failed(n, now + delay);
      return;
    }
    this.attempts.delete(n.group.key);
    this.m.notified.inc({ channel, kind: n.kind });
    this.m.alerts.observe({ channel }, n.group.alerts.length);
    this.o.onAttempt({ ok: true, kind: n.kind });
    const firing = n.group.alerts.filter((a) => a.state !== 'RESOLVED').length;
    this.o.logger.info({ channel, groupKey: n.group.key, kind: n.kind, status, firing, resolved: n.group.alerts.length - firing, alertIds: ids }, 'group notification delivered');
    this.done(this.grouping.delivered(n));
    this.m.open.set({ channel }, this.grouping.size);
  }

  /** Records are done: each partition is committed up to its lowest offset not done (one commit per partition, in order). */
  private done(refs: readonly RecordRef[]): void {
    const upTo = new Map<number, string>();
    for (const r of refs) {
      this.o.onHeld(r, false);
      const o = this.held.done(r.partition, r.offset);
      if (o !== undefined) upTo.set(r.partition, o);
    }
    for (const [partition, offset] of upTo) this.commit(partition, offset);
  }

  /** Commits `partition` up to `offset` (inclusive) after the commits before it. */
  private commit(partition: number, offset: string): void {
    const control = this.controls.get(partition);
    if (control === undefined) return;
    const next = (this.committing.get(partition) ?? Promise.resolve())
      .then(() => control.commitLater(offset))
      .catch((err: unknown) => {
        this.o.logger.warn({ channel: this.o.channel, partition, offset, err: err instanceof Error ? err.message : String(err) }, 'could not commit notified alert records (the partition moved, or the channel stopped); the next owner sends them again');
      });
    this.committing.set(partition, next);
  }
}
