/**
 * Built-in alert grouping, pure bookkeeping (no I/O, no timers: the time comes from an injected
 * clock): Alertmanager's `group_by`, `group_wait`, `group_interval` and `repeat_interval`
 * (Prometheus documentation, "Alertmanager configuration", `<route>`), for the channels that send
 * groups (`Notifier.sendGroup`: e-mail, webhooks). The dispatcher (`dispatcher.ts`) puts each
 * record a grouped channel takes into its group, asks {@link AlertGrouping.due} on a timer what to
 * send, and reports each notification's outcome; the records a notification covers are committed
 * once it was delivered (or given up), so nothing is committed before it was notified.
 *
 * - alerts with equal values of the `groupBy` labels (`routing/labels.ts`; a missing label is `""`)
 *   form a group; `groupBy: ['...']` puts every alert in a group of its own;
 * - a new group waits `groupWaitMs`, then ONE notification lists its alerts;
 * - afterwards, a change (a new firing alert, an escalation, a resolve) is notified at most every
 *   `groupIntervalMs` after the group's last notification: the firing alerts and those resolved
 *   since the last one; an alert that fired and resolved between two notifications is listed once,
 *   resolved;
 * - without a change, the group is notified again every `repeatIntervalMs` while one of its alerts
 *   fires and is not acknowledged (none when absent);
 * - a group whose alerts were all notified resolved is dropped.
 *
 * Not like Alertmanager: no route path in the group key (routes pick channels, not groups); timing
 * is per channel's member, in memory (see docs/alerting.md).
 */
import type { Alert } from '@busbar/avro';
import type { Clock } from '@busbar/core';
import type { AlertGroup } from './group.js';
import { groupKeyOf, singleAlertGroup } from './group.js';

/** `groupBy` value meaning "no grouping: every alert alone" (Alertmanager's `group_by: ['...']`). */
const GROUP_BY_ALL = '...';

/** Options of {@link AlertGrouping}. */
export interface GroupingOptions {
  /** Label names whose values make the group (`['...']`: every alert alone). */
  readonly groupBy: readonly string[];
  /** Wait of a new group before its first notification, ms (`group_wait`). */
  readonly groupWaitMs: number;
  /** Least time between two notifications of a changed group, ms (`group_interval`). */
  readonly groupIntervalMs: number;
  /** Re-notification of an unchanged group that still fires, ms (`repeat_interval`); none when absent. */
  readonly repeatIntervalMs?: number;
  /** The label set of an alert (`routing/labels.ts`). */
  readonly labelsOf: (alert: Alert) => Readonly<Record<string, string>>;
}

/** A record a group holds until a notification that covers it was delivered or given up. */
export interface RecordRef {
  readonly partition: number;
  /** Kafka offset (decimal string). */
  readonly offset: string;
  /** When the record was written (Kafka timestamp), ms since epoch: the expiry counts from it. */
  readonly writtenAtMs: number;
}

/** A notification to send: the group as sent and the records it covers. */
export interface GroupNotification {
  readonly group: AlertGroup;
  /** `first` (after group_wait), `update` (a change, after group_interval), `repeat` (repeat_interval, no change). */
  readonly kind: 'first' | 'update' | 'repeat';
  /** Records whose notification this is: committed once it was delivered or given up (none for a repeat). */
  readonly refs: readonly RecordRef[];
}

interface Entry {
  alert: Alert;
  readonly partition: number;
  acked: boolean;
}

interface Group {
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Alerts by id, in the order they entered the group. */
  readonly entries: Map<string, Entry>;
  /** Records not yet covered by a notification in flight or delivered. */
  pending: RecordRef[];
  /** The notification in flight (one at a time per group). */
  sending: GroupNotification | undefined;
  readonly createdMs: number;
  notifiedMs: number | undefined;
  /** Set by a change since the last notification (or the snapshot in flight). */
  changed: boolean;
  /** Next attempt after a failed one, ms. */
  retryAtMs: number | undefined;
}

/** Groups of one channel (see the module comment). */
export class AlertGrouping {
  private readonly groups = new Map<string, Group>();
  /** Group key of each alert id held. */
  private readonly keyOf = new Map<string, string>();
  /** The partitions kept at the last hand-over (`undefined`: none yet — every partition counts as owned). */
  private owned: ReadonlySet<number> | undefined;

  /**
   * @param options - see {@link GroupingOptions}.
   * @param clock - time source (a fake one in tests).
   */
  constructor(
    private readonly options: GroupingOptions,
    private readonly clock: Clock,
  ) {}

  /** Number of groups open. */
  get size(): number {
    return this.groups.size;
  }

  /**
   * Puts a FIRING (the first or an escalation) or a RESOLVED record in its alert's group (a new
   * group for the first alert of a key; an alert stays in the group it entered). A RESOLVED of an
   * alert the grouping does not hold (its FIRING was notified before a restart) enters a group as
   * resolved, so that its resolve is notified.
   *
   * @param alert - the record's Alert (state FIRING or RESOLVED; others are ignored).
   * @param ref - the record, held until a notification covering it is delivered or given up.
   */
  add(alert: Alert, ref: RecordRef): void {
    if (alert.state !== 'FIRING' && alert.state !== 'RESOLVED') return;
    const now = this.clock.nowMs();
    const heldKey = this.keyOf.get(alert.alert_id);
    let group = heldKey === undefined ? undefined : this.groups.get(heldKey);
    if (group === undefined) {
      const { key, labels } = this.keyFor(alert);
      group = this.groups.get(key);
      if (group === undefined) {
        group = { key, labels, entries: new Map(), pending: [], sending: undefined, createdMs: now, notifiedMs: undefined, changed: false, retryAtMs: undefined };
        this.groups.set(key, group);
      }
      this.keyOf.set(alert.alert_id, key);
    }
    const entry = group.entries.get(alert.alert_id);
    if (entry === undefined) group.entries.set(alert.alert_id, { alert, partition: ref.partition, acked: false });
    else entry.alert = alert;
    group.pending.push(ref);
    group.changed = true;
  }

  /** An ACKNOWLEDGED record was read: the alert no longer makes its group repeat. */
  acknowledge(alertId: string): void {
    const key = this.keyOf.get(alertId);
    const entry = key === undefined ? undefined : this.groups.get(key)?.entries.get(alertId);
    if (entry !== undefined) entry.acked = true;
  }

  /**
   * The notifications due now, each marked in flight until {@link delivered} or {@link failed}
   * (a group in flight is not due again meanwhile).
   */
  due(): GroupNotification[] {
    const now = this.clock.nowMs();
    const out: GroupNotification[] = [];
    for (const g of this.groups.values()) {
      if (g.sending !== undefined) continue;
      const kind = this.dueKind(g, now);
      if (kind === undefined) continue;
      const alerts = [...g.entries.values()].map((e) => e.alert);
      const n: GroupNotification = { group: { key: g.key, groupLabels: g.labels, alerts }, kind, refs: kind === 'repeat' ? [] : g.pending };
      if (kind !== 'repeat') g.pending = [];
      g.changed = false;
      g.sending = n;
      out.push(n);
    }
    return out;
  }

  /**
   * A notification from {@link due} was delivered, or given up (it is not tried again): the
   * alerts it listed resolved leave the group, a group left with no alert and no change is
   * dropped.
   *
   * @returns the records it covered (to commit).
   */
  delivered(n: GroupNotification): readonly RecordRef[] {
    const g = this.groups.get(n.group.key);
    if (g === undefined || g.sending !== n) return n.refs; // dropped meanwhile (its partitions went)
    g.sending = undefined;
    g.retryAtMs = undefined;
    g.notifiedMs = this.clock.nowMs();
    for (const a of n.group.alerts) {
      const e = g.entries.get(a.alert_id);
      if (a.state === 'RESOLVED' && e?.alert.state === 'RESOLVED') {
        g.entries.delete(a.alert_id);
        this.keyOf.delete(a.alert_id);
      }
    }
    if (g.entries.size === 0 && !g.changed) this.drop(g);
    return n.refs;
  }

  /**
   * A notification from {@link due} failed and is tried again at `retryAtMs`, with the group as it
   * is then (changes meanwhile included). A failed repeat is not retried: the next repeat is one
   * interval later.
   */
  failed(n: GroupNotification, retryAtMs: number): void {
    const g = this.groups.get(n.group.key);
    if (g === undefined || g.sending !== n) return;
    g.sending = undefined;
    if (n.kind === 'repeat') {
      g.notifiedMs = this.clock.nowMs();
      return;
    }
    // the records of partitions that moved meanwhile are their next owner's (dropped at the hand-over)
    g.pending = [...n.refs.filter((r) => this.owned === undefined || this.owned.has(r.partition)), ...g.pending];
    g.changed = true;
    g.retryAtMs = retryAtMs;
  }

  /**
   * Forgets the alerts and records of the partitions not in `keep` (a rebalance moved them to
   * another member, which re-reads what was not committed and groups it again).
   *
   * @returns the records dropped (not committed here).
   */
  keepPartitions(keep: readonly number[]): RecordRef[] {
    const dropped: RecordRef[] = [];
    for (const g of [...this.groups.values()]) {
      const gone = (p: number): boolean => !keep.includes(p);
      for (const [id, e] of g.entries) {
        if (!gone(e.partition)) continue;
        g.entries.delete(id);
        this.keyOf.delete(id);
      }
      // a notification in flight still goes (or not): its outcome commits only what stayed here; its
      // records of a partition are counted dropped once (at the hand-over that took the partition away)
      const wasOwned = (p: number): boolean => this.owned === undefined || this.owned.has(p);
      dropped.push(...g.pending.filter((r) => gone(r.partition)), ...(g.sending?.refs.filter((r) => gone(r.partition) && wasOwned(r.partition)) ?? []));
      g.pending = g.pending.filter((r) => !gone(r.partition));
      if (g.entries.size === 0 && g.sending === undefined) this.drop(g);
    }
    this.owned = new Set(keep);
    return dropped;
  }

  /** When a group not in flight is due, and as what. */
  private dueKind(g: Group, now: number): GroupNotification['kind'] | undefined {
    const o = this.options;
    if (g.retryAtMs !== undefined) return now >= g.retryAtMs ? (g.notifiedMs === undefined ? 'first' : 'update') : undefined;
    if (g.notifiedMs === undefined) return now >= g.createdMs + o.groupWaitMs && g.changed ? 'first' : undefined;
    if (g.changed) return now >= g.notifiedMs + o.groupIntervalMs ? 'update' : undefined;
    if (o.repeatIntervalMs === undefined || now < g.notifiedMs + o.repeatIntervalMs) return undefined;
    return [...g.entries.values()].some((e) => e.alert.state !== 'RESOLVED' && !e.acked) ? 'repeat' : undefined;
  }

  private keyFor(alert: Alert): { key: string; labels: Readonly<Record<string, string>> } {
    const by = this.options.groupBy;
    if (by.includes(GROUP_BY_ALL)) {
      const single = singleAlertGroup(alert);
      return { key: single.key, labels: single.groupLabels };
    }
    const all = this.options.labelsOf(alert);
    const labels = Object.fromEntries(by.map((name) => [name, all[name] ?? '']));
    return { key: groupKeyOf(labels), labels };
  }

  private drop(g: Group): void {
    this.groups.delete(g.key);
    for (const id of g.entries.keys()) this.keyOf.delete(id);
  }
}

/**
 * Per partition, the offsets a channel holds and which of them are done, so that it commits up to
 * the lowest offset not done yet (pure). Records are taken in offset order per partition.
 */
export class HeldOffsets {
  private readonly parts = new Map<number, { readonly held: Map<string, boolean>; released: bigint }>();

  /**
   * Takes a fetched record in hand.
   * @returns false when this member holds it already or released it for commit (a batch fetched
   *   again after a rebalance that left the partition here): it is not handled twice.
   */
  take(partition: number, offset: string): boolean {
    let p = this.parts.get(partition);
    if (p === undefined) this.parts.set(partition, (p = { held: new Map(), released: -1n }));
    if (p.held.has(offset) || BigInt(offset) <= p.released) return false;
    p.held.set(offset, false);
    return true;
  }

  /**
   * Marks a held record done.
   * @returns the offset up to which the partition can now be committed (every held offset up to it
   *   is done), or `undefined` when that did not move.
   */
  done(partition: number, offset: string): string | undefined {
    const p = this.parts.get(partition);
    if (p === undefined || !p.held.has(offset)) return undefined;
    p.held.set(offset, true);
    let upTo: string | undefined;
    for (const [o, isDone] of p.held) {
      if (!isDone) break;
      p.held.delete(o);
      upTo = o;
    }
    if (upTo !== undefined) p.released = BigInt(upTo);
    return upTo;
  }

  /**
   * A batch of `partition` up to `offset` (inclusive) held nothing (its records went to the
   * dead-letter topic): when no record of the partition is in hand, it is released for commit.
   * @returns whether the partition may now be committed up to `offset`.
   */
  release(partition: number, offset: string): boolean {
    let p = this.parts.get(partition);
    if (p === undefined) this.parts.set(partition, (p = { held: new Map(), released: -1n }));
    if (p.held.size > 0 || BigInt(offset) <= p.released) return false;
    p.released = BigInt(offset);
    return true;
  }

  /** Forgets the partitions not in `keep`. */
  keepPartitions(keep: readonly number[]): void {
    for (const partition of [...this.parts.keys()]) if (!keep.includes(partition)) this.parts.delete(partition);
  }

  /** Whether the partition is tracked (owned since the last assignment). */
  has(partition: number): boolean {
    return this.parts.has(partition);
  }
}
