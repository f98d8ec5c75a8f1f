/**
 * The open alerts of the re-sending (Alertmanager: `Notifier.resendIntervalMs`) and repeating
 * (`routing.repeatIntervalMs`) channels that send single alerts, pure bookkeeping with an injected
 * clock: per channel, the FIRING records it delivered and whose RESOLVED it has not delivered, each
 * with the partition it came from (none: recovered from the rule state) and when it is due again.
 * The dispatcher (`dispatcher.ts`) feeds it deliveries, closes alerts (a RESOLVED or an ack taken in
 * hand), drops the partitions it no longer owns, and sends what {@link OpenAlerts.due} returns.
 * Grouped channels repeat groups instead (`grouping.ts`).
 */
import type { Alert } from '@busbar/avro';
import type { Clock } from '@busbar/core';

interface OpenAlert {
  readonly alert: Alert;
  /** The alerts-topic partition of the record delivered; `undefined` when recovered. */
  readonly partition: number | undefined;
  dueMs: number;
}

/** Alerts recovered from the rule state, and which of them a channel may re-send. */
export interface RecoveredAlerts {
  /** The alerts that fire now (the rule state's firing series). */
  readonly firing: Iterable<Alert>;
  /** Whether the channel re-sends this one (not muted, not routed elsewhere). */
  readonly admit: (alert: Alert) => boolean;
}

/** Open alerts per channel (see the module comment). Bounded: the RESOLVEDs remembered are the last 10 000 per channel. */
export class OpenAlerts {
  private readonly open = new Map<string, Map<string, OpenAlert>>();
  /** Per re-sending channel: alert ids whose RESOLVED it delivered (bounded), never recovered again. */
  private readonly resolved = new Map<string, Set<string>>();

  /** @param clock - time source (a fake one in tests). */
  constructor(private readonly clock: Clock) {}

  /** The alerts a channel holds open from the records it delivered (not those recovered). */
  list(channel: string): Alert[] {
    return [...(this.open.get(channel)?.values() ?? [])].filter((o) => o.partition !== undefined).map((o) => o.alert);
  }

  /** Ends an alert's re-sends/repeats at once (its RESOLVED or ACKNOWLEDGED was taken in hand, or given up). */
  close(channel: string, alertId: string): void {
    this.open.get(channel)?.delete(alertId);
  }

  /** Drops the open alerts of partitions no longer assigned (their next owner re-sends them); recovered ones stay. */
  keepPartitions(channel: string, partitions: readonly number[]): void {
    const open = this.open.get(channel);
    if (open === undefined) return;
    for (const [id, o] of open) if (o.partition !== undefined && !partitions.includes(o.partition)) open.delete(id);
  }

  /**
   * A record was delivered on a re-sending or repeating channel: a FIRING is held open, due again
   * `intervalMs` from now; a RESOLVED closes its alert for good (never recovered again).
   */
  delivered(channel: string, intervalMs: number, alert: Alert, partition: number): void {
    const open = this.openOf(channel);
    if (alert.state === 'FIRING') open.set(alert.alert_id, { alert, partition, dueMs: this.clock.nowMs() + intervalMs });
    else if (alert.state === 'RESOLVED') {
      open.delete(alert.alert_id);
      let set = this.resolved.get(channel);
      if (!set) this.resolved.set(channel, (set = new Set()));
      set.add(alert.alert_id);
      if (set.size > 10_000) set.delete(set.values().next().value!);
    }
  }

  /**
   * The alerts due now, each due again `intervalMs` later. With `recovered` (a re-sending channel)
   * the recovered alerts are first brought up to date: new ones (admitted, not resolved on this
   * channel) are due at once, those no longer firing are dropped.
   */
  due(channel: string, intervalMs: number, recovered?: RecoveredAlerts): Alert[] {
    const open = this.openOf(channel);
    const now = this.clock.nowMs();
    if (recovered !== undefined) {
      const firing = new Map([...recovered.firing].map((a) => [a.alert_id, a]));
      const resolved = this.resolved.get(channel);
      for (const [id, o] of open) if (o.partition === undefined && !firing.has(id)) open.delete(id);
      for (const [id, a] of firing) if (!open.has(id) && !resolved?.has(id) && recovered.admit(a)) open.set(id, { alert: a, partition: undefined, dueMs: now });
    }
    const out: Alert[] = [];
    for (const o of open.values()) {
      if (o.dueMs > now) continue;
      o.dueMs = now + intervalMs;
      out.push(o.alert);
    }
    return out;
  }

  private openOf(channel: string): Map<string, OpenAlert> {
    let open = this.open.get(channel);
    if (!open) this.open.set(channel, (open = new Map()));
    return open;
  }
}
