/**
 * The alert outbox: every notification (one per alert transition and channel) is recorded durably
 * before it is attempted — SQLite through Node's built-in `node:sqlite`, WAL journal — and retried
 * with capped backoff until it is delivered or expires (default after 6 h), across mail-server
 * outages and alerter restarts.
 *
 * Order: per alert (episode) and channel, notifications go out in the order they were recorded —
 * FIRING, then an escalation, then RESOLVED; a later one waits while an earlier one is retried, and
 * when an earlier one expires the later ones of that alert and channel expire with it (no RESOLVED
 * for a FIRING nobody saw). Different alerts and channels do not wait for each other: attempts run
 * side by side (up to `concurrency`), a slow mail server holds only its own notifications.
 * A notification recorded twice (a redelivered batch) is sent once: the key is (alert id, state,
 * severity, channel), and a delivered notification is kept (as delivered) until the expiry, so a
 * batch redelivered after it went out records nothing new.
 *
 * Metrics: `busbar_alerter_notifications_total{channel}` (delivered),
 * `busbar_alerter_notify_errors_total{channel}` (failed attempts, retried),
 * `busbar_alerter_notifications_expired_total{channel}` (given up, logged with the alert id),
 * `busbar_alerter_outbox_pending` and `busbar_alerter_outbox_oldest_age_seconds`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Alert } from '@busbar/avro';
import { alertSerde } from '@busbar/avro';
import type { BackoffOptions, Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError, backoffDelayMs, errorCode, noopLogger, noopMetrics, sleep, systemClock } from '@busbar/core';

/** One notification channel (e-mail, a webhook). */
export interface Notifier {
  /** Names the channel in the outbox and in metrics/logs: `email`, `webhook-1` … (no URLs, no secrets). */
  readonly channel: string;
  /** Sends one alert; rejects on failure (retried by the outbox). */
  send(alert: Alert): Promise<void>;
}

/** Options of {@link AlertOutbox}. */
export interface AlertOutboxOptions {
  /** SQLite file (created with its folder); `:memory:` keeps nothing across restarts (tests only). */
  readonly path: string;
  /** Channels every alert goes to. */
  readonly notifiers: readonly Notifier[];
  /** A notification not delivered this long after it was recorded is dropped, counted and logged, ms (default 6 h). */
  readonly expireAfterMs?: number;
  /** Backoff between attempts of one notification (default 1 s doubling to 5 min). */
  readonly retry?: BackoffOptions;
  /** Notifications attempted at once (default 8). */
  readonly concurrency?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Default time after which an undelivered notification is given up, ms (6 h). */
export const DEFAULT_NOTIFICATION_EXPIRY_MS = 6 * 3_600_000;

interface Row {
  readonly seq: number;
  readonly alert_id: string;
  readonly channel: string;
  readonly alert: Uint8Array;
  readonly created_ms: number;
  readonly attempts: number;
}

/**
 * A durable outbox of alert notifications with its delivery loop.
 *
 * @throws {BusbarError} `BB_ALERTER_OUTBOX_UNUSABLE` from the constructor when the file cannot be opened.
 */
export class AlertOutbox {
  private readonly db: DatabaseSync;
  private readonly byChannel: ReadonlyMap<string, Notifier>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly m;
  private readonly inFlight = new Map<number, Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake = new AbortController();
  private readonly stopping = new AbortController();
  /** Outcome of the last attempt per channel (for `/readyz`). */
  private readonly lastAttempt = new Map<string, { readonly ok: boolean; readonly error?: string; readonly atMs: number }>();

  /** @param options - see {@link AlertOutboxOptions}. */
  constructor(private readonly options: AlertOutboxOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? noopLogger;
    this.byChannel = new Map(options.notifiers.map((n) => [n.channel, n]));
    const metrics = options.metrics ?? noopMetrics;
    this.m = {
      notified: metrics.counter({ name: 'busbar_alerter_notifications_total', help: 'Notifications delivered, by channel.', labelNames: ['channel'] }),
      errors: metrics.counter({ name: 'busbar_alerter_notify_errors_total', help: 'Failed notification attempts (retried from the outbox), by channel.', labelNames: ['channel'] }),
      expired: metrics.counter({ name: 'busbar_alerter_notifications_expired_total', help: 'Notifications given up after the outbox expiry, by channel.', labelNames: ['channel'] }),
      pending: metrics.gauge({ name: 'busbar_alerter_outbox_pending', help: 'Notifications recorded and not yet delivered.' }),
      oldest: metrics.gauge({ name: 'busbar_alerter_outbox_oldest_age_seconds', help: 'Age of the oldest undelivered notification (0 when none).' }),
    };
    try {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      this.db = new DatabaseSync(options.path);
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      this.db.exec(`CREATE TABLE IF NOT EXISTS notifications (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
        channel TEXT NOT NULL, alert BLOB NOT NULL, created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_ms INTEGER NOT NULL, last_error TEXT, delivered_ms INTEGER, UNIQUE (alert_id, state, severity, channel))`);
    } catch (cause) {
      throw new BusbarError('BB_ALERTER_OUTBOX_UNUSABLE', `alert outbox ${options.path} cannot be used: ${(cause as Error).message}`, { cause, context: { path: options.path } });
    }
    this.updateGauges();
  }

  /** Notifications recorded and not delivered yet. */
  get pending(): number {
    return Number((this.db.prepare('SELECT count(*) AS n FROM notifications WHERE delivered_ms IS NULL').get() as { n: number }).n);
  }

  /**
   * Records one notification per alert and channel (durable when it returns) and wakes the delivery loop.
   *
   * @throws {BusbarError} `BB_ALERTER_OUTBOX_UNUSABLE` when the write fails (the caller's batch is
   *   then not committed and is redelivered).
   */
  enqueue(alerts: readonly Alert[]): void {
    if (alerts.length === 0 || this.byChannel.size === 0) return;
    const now = this.clock.nowMs();
    const insert = this.db.prepare('INSERT OR IGNORE INTO notifications (alert_id, state, severity, channel, alert, created_ms, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?)');
    try {
      this.db.exec('BEGIN');
      for (const a of alerts) {
        const bytes = alertSerde.encode(a);
        for (const channel of this.byChannel.keys()) insert.run(a.alert_id, a.state, a.severity, channel, bytes, now, now);
      }
      this.db.exec('COMMIT');
    } catch (cause) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // nothing to roll back
      }
      throw new BusbarError('BB_ALERTER_OUTBOX_UNUSABLE', `could not record notifications in the alert outbox ${this.options.path}: ${(cause as Error).message}`, { cause, context: { path: this.options.path } });
    }
    this.updateGauges();
    this.wake.abort();
  }

  /**
   * Whether each channel delivers, for `/readyz`: a channel is ok until an attempt fails, and again
   * once one succeeds; a failing one says since when its last attempt failed, why, and how many of
   * its notifications wait.
   */
  channelStatus(): Record<string, { readonly ok: boolean; readonly reason?: string }> {
    const out: Record<string, { ok: boolean; reason?: string }> = {};
    for (const channel of this.byChannel.keys()) {
      const last = this.lastAttempt.get(channel);
      if (last === undefined || last.ok) {
        out[channel] = { ok: true };
        continue;
      }
      const waiting = this.db.isOpen ? Number((this.db.prepare('SELECT count(*) AS n FROM notifications WHERE delivered_ms IS NULL AND channel = ?').get(channel) as { n: number }).n) : 0;
      out[channel] = { ok: false, reason: `last attempt failed ${Math.round((this.clock.nowMs() - last.atMs) / 1000)} s ago: ${last.error ?? ''}; ${waiting} notification(s) waiting in the outbox` };
    }
    return out;
  }

  /** Starts the delivery loop (returns at once). Notifications recorded before a restart go first. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops the loop after the attempts in flight; undelivered notifications stay for the next start. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlight.values()]);
    if (this.db.isOpen) this.db.close();
  }

  /**
   * One pass: starts an attempt for every due notification that heads its (alert, channel) queue and
   * is not being attempted already, without waiting for them (up to `concurrency` at once).
   *
   * @returns how many attempts it started.
   */
  deliverDue(): number {
    const now = this.clock.nowMs();
    this.expire(now);
    const free = (this.options.concurrency ?? 8) - this.inFlight.size;
    if (free <= 0) return 0;
    const due = this.db.prepare(`SELECT seq, alert_id, channel, alert, created_ms, attempts FROM notifications n
      WHERE delivered_ms IS NULL AND next_ms <= ?
        AND seq = (SELECT min(seq) FROM notifications m WHERE m.alert_id = n.alert_id AND m.channel = n.channel AND m.delivered_ms IS NULL)
      ORDER BY seq LIMIT ?`).all(now, free + this.inFlight.size) as unknown as Row[];
    const todo = due.filter((r) => !this.inFlight.has(Number(r.seq))).slice(0, free);
    for (const r of todo) {
      const seq = Number(r.seq);
      const p = this.attempt(r)
        .catch((err: unknown) => this.log.error({ code: errorCode(err), err: err instanceof Error ? err.message : String(err), alertId: r.alert_id, channel: r.channel }, 'alert outbox attempt failed'))
        .finally(() => {
          this.inFlight.delete(seq);
          this.updateGauges();
          this.wake.abort(); // its queue's next notification may be due now
        });
      this.inFlight.set(seq, p);
    }
    return todo.length;
  }

  /** Resolves when every attempt started so far finished (for tests and a clean stop). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let started = 0;
      try {
        started = this.deliverDue();
      } catch (err) {
        this.log.error({ code: errorCode(err), err: err instanceof Error ? err.message : String(err) }, 'alert outbox pass failed');
      }
      if (!this.running) break;
      if (this.wake.signal.aborted) this.wake = new AbortController();
      if (started > 0) continue;
      // sleep until the earliest retry of a notification not in flight (or a wake-up: a new record, a finished attempt)
      const next = (this.db.prepare('SELECT seq, next_ms FROM notifications WHERE delivered_ms IS NULL ORDER BY next_ms LIMIT 64').all() as { seq: number; next_ms: number }[])
        .find((r) => !this.inFlight.has(Number(r.seq)));
      const waitMs = next === undefined ? 60_000 : Math.max(10, Math.min(60_000, Number(next.next_ms) - this.clock.nowMs()));
      await sleep(waitMs, AbortSignal.any([this.wake.signal, this.stopping.signal]));
    }
  }

  private async attempt(row: Row): Promise<void> {
    const notifier = this.byChannel.get(row.channel);
    if (notifier === undefined) {
      // a channel removed from the configuration since the notification was recorded
      this.log.warn({ alertId: row.alert_id, channel: row.channel }, 'notification for a channel no longer configured: dropped');
      this.db.prepare('DELETE FROM notifications WHERE seq = ?').run(row.seq);
      return;
    }
    let alert: Alert;
    try {
      alert = alertSerde.decode(Buffer.from(row.alert));
    } catch (err) {
      // recorded by another version and no longer readable: it can never be sent
      this.m.expired.inc({ channel: row.channel });
      this.log.error({ alertId: row.alert_id, channel: row.channel, code: errorCode(err), err: err instanceof Error ? err.message : String(err) }, 'notification cannot be decoded: dropped');
      this.db.prepare('DELETE FROM notifications WHERE seq = ?').run(row.seq);
      return;
    }
    try {
      await notifier.send(alert);
    } catch (err) {
      const attempts = Number(row.attempts) + 1;
      const delay = backoffDelayMs(attempts - 1, this.options.retry ?? { initialDelayMs: 1000, maxDelayMs: 300_000 });
      const message = err instanceof Error ? err.message : String(err);
      this.m.errors.inc({ channel: row.channel });
      this.lastAttempt.set(row.channel, { ok: false, error: message.slice(0, 300), atMs: this.clock.nowMs() });
      this.log.warn({ channel: row.channel, alertId: row.alert_id, state: alert.state, code: errorCode(err), err: message, attempts, retryInMs: delay }, 'notification failed; kept in the outbox and retried');
      if (this.db.isOpen) this.db.prepare('UPDATE notifications SET attempts = ?, next_ms = ?, last_error = ? WHERE seq = ?').run(attempts, this.clock.nowMs() + delay, message.slice(0, 1000), row.seq);
      return;
    }
    // kept as delivered until the expiry: a redelivered batch must not record it again
    if (this.db.isOpen) this.db.prepare('UPDATE notifications SET delivered_ms = ? WHERE seq = ?').run(this.clock.nowMs(), row.seq);
    this.m.notified.inc({ channel: row.channel });
    this.lastAttempt.set(row.channel, { ok: true, atMs: this.clock.nowMs() });
    if (Number(row.attempts) > 0) this.log.info({ channel: row.channel, alertId: row.alert_id, state: alert.state, attempts: Number(row.attempts) + 1, delayMs: this.clock.nowMs() - Number(row.created_ms) }, 'notification delivered after retries');
  }

  private expire(now: number): void {
    const expiry = this.options.expireAfterMs ?? DEFAULT_NOTIFICATION_EXPIRY_MS;
    // delivered notifications are kept only to recognise a redelivered batch
    this.db.prepare('DELETE FROM notifications WHERE delivered_ms IS NOT NULL AND created_ms < ?').run(now - expiry);
    const old = this.db.prepare('SELECT seq, alert_id, state, channel, attempts, last_error, created_ms FROM notifications WHERE delivered_ms IS NULL AND created_ms < ? ORDER BY seq').all(now - expiry) as unknown as { seq: number; alert_id: string; state: string; channel: string; attempts: number; last_error: string | null; created_ms: number }[];
    for (const r of old) {
      if (this.inFlight.has(Number(r.seq))) continue;
      // the later notifications of the same alert and channel go with it: no RESOLVED for a FIRING nobody saw
      const gone = this.db.prepare('SELECT seq, state FROM notifications WHERE delivered_ms IS NULL AND alert_id = ? AND channel = ? AND seq >= ?').all(r.alert_id, r.channel, r.seq) as { seq: number; state: string }[];
      const removable = gone.filter((g) => !this.inFlight.has(Number(g.seq)));
      for (const g of removable) this.db.prepare('DELETE FROM notifications WHERE seq = ?').run(g.seq);
      if (removable.length === 0) continue;
      this.m.expired.inc({ channel: r.channel }, removable.length);
      this.log.error({ alertId: r.alert_id, state: r.state, channel: r.channel, attempts: Number(r.attempts), lastError: r.last_error, recordedAt: new Date(Number(r.created_ms)).toISOString(), expiredWithIt: removable.slice(1).map((g) => g.state) }, 'notification expired undelivered');
    }
  }

  private updateGauges(): void {
    if (!this.db.isOpen) return;
    const row = this.db.prepare('SELECT count(*) AS n, min(created_ms) AS t FROM notifications WHERE delivered_ms IS NULL').get() as { n: number; t: number | null };
    this.m.pending.set(undefined, Number(row.n));
    this.m.oldest.set(undefined, row.t === null ? 0 : Math.max(0, this.clock.nowMs() - Number(row.t)) / 1000);
  }
}
