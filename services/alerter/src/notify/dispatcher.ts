/**
 * Delivering alert notifications from the alerts topic: the alerts topic is the outbox. Each channel
 * (e-mail, each webhook) is a consumer group of its own on the alerts topic
 * (`<groupId>.notify.<channel>`), reading committed records only; for each Alert record it sends
 * the notification, retries with capped backoff until it is delivered or expires (default 6 h after
 * the record was written), and commits the record's offset once it is done. So:
 *
 * - nothing is lost: a notification is committed only after it was delivered (or expired, counted
 *   and logged); an SMTP outage or a restart leaves it in Kafka, where the channel's next member —
 *   this process after a restart, or another alerter of the group — takes it up;
 * - order: the alerts of a device share a partition (keyed by device), so per alert FIRING →
 *   escalation → RESOLVED go out in that order on every channel; a later notification of an alert
 *   waits while an earlier one is retried, and when an earlier one expires (or is refused for good)
 *   the later ones of that alert go with it (no RESOLVED for a FIRING nobody saw). Notifications of
 *   different alerts in one batch are sent side by side (up to `concurrency`);
 * - scale-out: the members of a channel's group share the partitions; a member that is killed loses
 *   them to the others after its session timeout, and what it had not committed is sent by them —
 *   never later by the killed process itself (it keeps nothing locally);
 * - duplicates: only a notification delivered in the instant between its delivery and its commit
 *   (a crash then) is sent again.
 *
 * Several alerter groups may write to one alerts topic: a channel sends only its own group's alerts
 * (the `busbar-alerter-group` header the batch's transaction sets), the others are skipped.
 *
 * A notifier error that says it is not worth retrying (`BusbarError` with `retriable: false`: a
 * webhook's 4xx, an Alertmanager's or PagerDuty's 400) gives the notification up at once, counted as
 * expired and logged with the alert id.
 *
 * Per-channel filters (a record that is not sent is committed all the same, counted in
 * `busbar_alerter_notifications_skipped_total{channel,reason}` and logged at debug):
 * - states (`Notifier.states`, reason `state`): the e-mail and webhooks take FIRING and RESOLVED only,
 *   PagerDuty and Alertmanager take ACKNOWLEDGED too (an `acknowledge` event, a silence of the episode);
 * - acknowledged episodes (reason `acknowledged`): a FIRING (an escalation) of an alert whose
 *   ACKNOWLEDGED record this channel has read is held back on every channel. The ACKNOWLEDGED record
 *   is in the same partition as the episode's other records (key = device), so whichever member
 *   owns the partition reads it before the later records. After a restart or a hand-over (the
 *   ACKNOWLEDGED record behind the channel's committed offset) `isAcknowledged` answers instead.
 *
 * Re-sends while open (`Notifier.resendIntervalMs`, Alertmanager: it resolves an alert by itself
 * once its `endsAt` passed; bookkeeping in `open-alerts.ts`): the channel keeps, in memory, the FIRING records it delivered and whose
 * RESOLVED it has not delivered, for the partitions of the alerts topic it owns (a partition that
 * leaves the member takes its open alerts with it), and sends each again every `resendIntervalMs`
 * (one attempt per interval; a failure is counted and logged, the next interval tries again). After
 * a restart or a hand-over the open alerts are rebuilt from `recoverOpen` (the alerter: the firing
 * series of the rule state, which every member follows in full — so several members may re-send
 * one alert, which Alertmanager treats as one, identified by its labels), minus the episodes whose
 * RESOLVED this channel delivered.
 *
 * Grouping (`options.grouping`, `routing.groupBy`): a channel that sends groups (`Notifier.sendGroup`)
 * hands each record that passed the checks above to its {@link GroupedDelivery} (`grouped-delivery.ts`),
 * which holds it in its group, returns the batch at once and commits each partition once the group
 * notifications covering its records were delivered; such a channel repeats groups, not alerts.
 *
 * Metrics: `busbar_alerter_notifications_total{channel}` (delivered),
 * `busbar_alerter_notify_errors_total{channel}` (failed attempts),
 * `busbar_alerter_notifications_expired_total{channel}` (given up, logged with the alert id),
 * `busbar_alerter_outbox_pending` (notifications this member is working on, not yet delivered) and
 * `busbar_alerter_outbox_oldest_age_seconds` (age of the oldest of them); the backlog not yet
 * fetched is the consumer lag, `busbar_kafka_consumer_lag_records{topic=<alerts>}` per group member.
 */
import type { Alert } from '@busbar/avro';
import type { AlertGroup } from './group.js';
import type { GroupingOptions } from './grouping.js';
import { GroupedDelivery } from './grouped-delivery.js';
import { OpenAlerts } from './open-alerts.js';

type AlertState = Alert['state'];
import { alertSerde, deadLetterSerde } from '@busbar/avro';
import type { BackoffOptions, Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError, backoffDelayMs, errorCode, isBusbarError, noopLogger, noopMetrics, sleep, systemClock } from '@busbar/core';
import type { BatchControl, ConsumedRecord } from '@busbar/kafka';
import { DecodingConsumer } from '@busbar/kafka';
import type { createKafka } from '@busbar/kafka';

/** One notification channel (e-mail, a webhook). */
export interface Notifier {
  /** Names the channel in consumer groups, metrics and logs: `email`, `webhook-1` … (no URLs, no secrets). */
  readonly channel: string;
  /**
   * Sends one alert.
   * @throws on failure: retried, unless it is a `BusbarError` with `retriable: false` (given up at once).
   */
  send(alert: Alert): Promise<void>;
  /**
   * Sends one notification for a group of alerts (built-in `group_by`, `group.ts`); channels
   * without it cannot be grouped. Errors as {@link Notifier.send}.
   */
  sendGroup?(group: AlertGroup): Promise<void>;
  /** The alert states this channel is given (default {@link DEFAULT_NOTIFIED_STATES}: FIRING and RESOLVED, no ACKNOWLEDGED). */
  readonly states?: readonly AlertState[];
  /**
   * When set, a delivered FIRING is sent again every this many ms until its RESOLVED is delivered,
   * acknowledged or not, and rebuilt after a restart from `recoverOpen` (Alertmanager, which
   * resolves an alert by itself once its `endsAt` passed).
   */
  readonly resendIntervalMs?: number;
  /**
   * When set (and `resendIntervalMs` is not), a delivered FIRING is repeated every this many ms
   * until its RESOLVED or its ACKNOWLEDGED is read (`routing.repeatIntervalMs`: Alertmanager's
   * `repeat_interval` for the direct channels). Kept in memory only: not rebuilt after a restart.
   */
  readonly repeatIntervalMs?: number;
}

/**
 * What a channel does not send besides the states it does not take: a route that sends the alert
 * elsewhere, a silence, an inhibition (`routing/`). Returns the reason and what decided it.
 */
export type MuteCheck = (channel: string, alert: Alert) => { readonly reason: 'routed-elsewhere' | 'silenced' | 'inhibited'; readonly by: string } | undefined;

/** States a channel is given when its notifier names none: FIRING and RESOLVED (the e-mail, webhooks). */
export const DEFAULT_NOTIFIED_STATES: readonly AlertState[] = ['FIRING', 'RESOLVED'];

/** Options of {@link NotificationDispatcher}. */
export interface NotificationDispatcherOptions {
  readonly kafka: ReturnType<typeof createKafka>;
  /** Connected producer (dead letters of undecodable alert records). */
  readonly producer: ReturnType<ReturnType<typeof createKafka>['producer']>;
  /** The alerts topic. */
  readonly topic: string;
  /** The dead-letter topic. */
  readonly deadLetterTopic: string;
  /** Prefix of the channels' consumer groups: `<prefix>.<channel>` (the alerter uses `<groupId>.notify`). */
  readonly groupPrefix: string;
  /**
   * The alerter group whose alerts these channels notify: only records whose
   * {@link ALERTER_GROUP_HEADER} header is this are sent (another alerter group writing to the
   * same alerts topic has channels of its own); records without the header are skipped too.
   */
  readonly origin: string;
  /** Channels every alert goes to. */
  readonly notifiers: readonly Notifier[];
  /** A notification not delivered this long after its Alert record was written is given up, ms (default 6 h). */
  readonly expireAfterMs?: number;
  /** Backoff between attempts of one notification (default 1 s doubling to 5 min). */
  readonly retry?: BackoffOptions;
  /** Notifications of different alerts attempted at once per channel (default 8). */
  readonly concurrency?: number;
  /**
   * The alerts that fire now, as far as the alerter knows (the rule state's firing series): what a
   * channel with `resendIntervalMs` re-sends besides the FIRING records it delivered itself, so that
   * re-sends survive a restart or a hand-over. Default: none.
   */
  readonly recoverOpen?: () => Iterable<Alert>;
  /**
   * Built-in routing (`routing/`): a record this says is routed elsewhere, silenced or inhibited is
   * committed without being sent; the RESOLVED (and ACKNOWLEDGED) of an alert whose FIRING was not
   * sent on a channel is not sent there either. Default: every record goes to every channel.
   */
  readonly mute?: MuteCheck;
  /**
   * Built-in grouping (`routing.groupBy`, `grouping.ts`, `grouped-delivery.ts`) of the channels
   * that send groups (`Notifier.sendGroup`: e-mail, webhooks); a channel's `repeatIntervalMs` then
   * repeats its groups. Default: none, every record is notified on its own.
   */
  readonly grouping?: Omit<GroupingOptions, 'repeatIntervalMs'>;
  /**
   * Longest wait of the channels' fetches, ms (the consumers' default, 1 s, otherwise). The alerts
   * topic is written in transactions and read committed: a fetch waiting on the broker is not
   * answered when a transaction commits, only when its wait ends, so this bounds the delay a
   * notification can take between its commit and its fetch.
   */
  readonly maxWaitTimeMs?: number;
  /**
   * Whether the episode `alertId` was acknowledged at or before `firingAtMs` (when the FIRING record
   * was written: its Kafka timestamp, the alerter's clock — not the reading's, which is the device's),
   * ms since epoch, as known outside the channel (the alerter: the alert-control topic, followed in
   * full by every member): such a FIRING — an escalation after the ack — is held back like one whose
   * ACKNOWLEDGED record the channel read, also after a restart or a hand-over, when that record lies
   * behind the channel's committed offset. The episode's first FIRING (before the ack) is never held
   * back by it. Default: none.
   */
  readonly isAcknowledged?: (alertId: string, firingAtMs: number) => boolean;
  /** Consumer session timeout, ms (the consumers' default otherwise). */
  readonly sessionTimeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Header of an Alert record naming the alerter group (`groupId`) that evaluated it. */
export const ALERTER_GROUP_HEADER = 'busbar-alerter-group';

/** Default time after which an undelivered notification is given up, ms (6 h). */
export const DEFAULT_NOTIFICATION_EXPIRY_MS = 6 * 3_600_000;
/** Longest wait between two heartbeats while a notification waits for its next attempt, ms. */
const BEAT_MS = 1000;

type Outcome = 'delivered' | 'given-up';

/**
 * Sends every Alert record of the alerts topic to every channel, at least once, in order per alert.
 */
export class NotificationDispatcher {
  private readonly consumers: { readonly channel: string; readonly consumer: DecodingConsumer<Alert> }[] = [];
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly m;
  /** Kafka timestamps of the notifications in hand and not done, per channel and `partition:offset`. */
  private readonly inHand = new Map<string, number>();
  /** Outcome of the last attempt per channel (for `/readyz`). */
  private readonly lastAttempt = new Map<string, { readonly ok: boolean; readonly error?: string; readonly atMs: number }>();
  /** Alert ids given up per channel (bounded): their later notifications are given up too. */
  private readonly givenUp = new Map<string, Set<string>>();
  /** Alert ids whose ACKNOWLEDGED record each channel read (bounded): their later FIRINGs are held back. */
  private readonly acked = new Map<string, Set<string>>();
  /** Per re-sending or repeating channel: the open alerts it sends again (`open-alerts.ts`). */
  private readonly opened: OpenAlerts;
  /** Per channel: alert ids whose FIRING it did not send (muted, routed elsewhere; bounded): their RESOLVED is not sent either. */
  private readonly muted = new Map<string, Set<string>>();
  /** Per channel: alert ids whose FIRING it sent (bounded). */
  private readonly sent = new Map<string, Set<string>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly resending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  /** Grouped channels by name. */
  private readonly grouped = new Map<string, GroupedDelivery>();

  /** @param options - see {@link NotificationDispatcherOptions}. */
  constructor(private readonly options: NotificationDispatcherOptions) {
    this.clock = options.clock ?? systemClock;
    this.opened = new OpenAlerts(this.clock);
    this.log = options.logger ?? noopLogger;
    const metrics = options.metrics ?? noopMetrics;
    this.m = {
      notified: metrics.counter({ name: 'busbar_alerter_notifications_total', help: 'Notifications delivered, by channel.', labelNames: ['channel'] }),
      errors: metrics.counter({ name: 'busbar_alerter_notify_errors_total', help: 'Failed notification attempts (retried), by channel.', labelNames: ['channel'] }),
      expired: metrics.counter({ name: 'busbar_alerter_notifications_expired_total', help: 'Notifications given up (expired, or refused for good), by channel.', labelNames: ['channel'] }),
      pending: metrics.gauge({ name: 'busbar_alerter_outbox_pending', help: 'Notifications this member is working on and has not delivered yet (the backlog not fetched yet is the consumer lag of the alerts topic).' }),
      skipped: metrics.counter({ name: 'busbar_alerter_notifications_skipped_total', help: 'Alert records a channel commits without sending, by reason: state (a state it does not take), acknowledged (an escalation of an acknowledged episode), routed-elsewhere, silenced, inhibited, not-sent-firing (the RESOLVED or ACKNOWLEDGED of a FIRING not sent there).', labelNames: ['channel', 'reason'] }),
      resent: metrics.counter({ name: 'busbar_alerter_notifications_resent_total', help: 'Re-sends of open alerts (Alertmanager while firing; repeat_interval of the direct channels), by channel and outcome (ok, failed).', labelNames: ['channel', 'outcome'] }),
      oldest: metrics.gauge({ name: 'busbar_alerter_outbox_oldest_age_seconds', help: 'Age of the oldest notification this member has not delivered yet (0 when none).' }),
    };
  }

  /**
   * Joins each channel's consumer group and starts delivering.
   *
   * @throws kafkajs' error when Kafka cannot be reached (after the start-up retries).
   */
  async start(): Promise<void> {
    const o = this.options;
    const startedAtMs = this.clock.nowMs();
    for (const notifier of o.notifiers) {
      await this.newChannelStartsNow(`${o.groupPrefix}.${notifier.channel}`, startedAtMs);
      const grouped = this.groupedChannel(notifier);
      const consumer: DecodingConsumer<Alert> = new DecodingConsumer<Alert>({
        kafka: o.kafka,
        producer: o.producer,
        groupId: `${o.groupPrefix}.${notifier.channel}`,
        topic: o.topic,
        fromBeginning: true, // only when the group has no offsets and could not be set to its start time (see newChannelStartsNow)
        decoder: alertSerde,
        deadLetter: { topic: o.deadLetterTopic, encoder: deadLetterSerde },
        handle: (records, control) => (grouped ? grouped.take(records, control) : this.deliverBatch(notifier, records, control)),
        // a grouped channel commits when its groups are delivered (commitLater), never the consumer
        ...(grouped ? { deferredCommits: true } : {}),
        // grouped records of partitions this member no longer owns are grouped and sent by their new owner
        ...(grouped ? { onAssignment: (partitions: readonly number[]) => grouped.assigned(partitions), onRevoked: () => grouped.revoked() } : {}),
        // open alerts of partitions this member no longer owns are re-sent by their new owner
        ...(!grouped && intervalOf(notifier) !== undefined
          ? {
              onAssignment: (partitions: readonly number[]) => this.opened.keepPartitions(notifier.channel, partitions),
              // a rebalance, a crash or a stop: this member may no longer own them — the next owner re-sends
              onRevoked: () => this.opened.keepPartitions(notifier.channel, []),
            }
          : {}),
        ...(o.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
        ...(o.maxWaitTimeMs !== undefined ? { maxWaitTimeMs: o.maxWaitTimeMs } : {}),
        logger: this.log.child({ channel: notifier.channel }),
        metrics: o.metrics,
      });
      this.consumers.push({ channel: notifier.channel, consumer });
      await consumer.start();
      if (grouped) {
        const g = o.grouping!;
        const timer = setInterval(() => grouped.tick(), Math.max(10, Math.min(1000, g.groupWaitMs / 4, g.groupIntervalMs / 4)));
        timer.unref();
        this.timers.push(timer);
        continue;
      }
      const interval = intervalOf(notifier);
      if (interval !== undefined) {
        const timer = setInterval(() => this.resend(notifier, interval), Math.max(10, Math.min(1000, interval / 4)));
        timer.unref();
        this.timers.push(timer);
      }
    }
    this.updateGauges();
  }

  /**
   * The grouped delivery of a channel that sends groups when grouping is configured (else
   * `undefined`): its records pass the same checks as a record sent alone (`admit`) before they
   * enter their group.
   */
  private groupedChannel(notifier: Notifier): GroupedDelivery | undefined {
    const o = this.options;
    const sendGroup = notifier.sendGroup;
    if (o.grouping === undefined || sendGroup === undefined) return undefined;
    const { channel } = notifier;
    const expireAfterMs = o.expireAfterMs ?? DEFAULT_NOTIFICATION_EXPIRY_MS;
    const consumerOf = (): DecodingConsumer<Alert> | undefined => this.consumers.find((c) => c.channel === channel)?.consumer;
    const grouped: GroupedDelivery = new GroupedDelivery({
      channel,
      sendGroup: (g) => sendGroup.call(notifier, g),
      grouping: { ...o.grouping, ...(notifier.repeatIntervalMs !== undefined ? { repeatIntervalMs: notifier.repeatIntervalMs } : {}) },
      admit: (r) => {
        if (r.headers?.[ALERTER_GROUP_HEADER] !== o.origin) return false; // another group's alerts
        const alert = r.value;
        if (this.clock.nowMs() - r.kafkaTimestampMs > expireAfterMs) {
          this.m.expired.inc({ channel });
          this.markGivenUp(channel, alert.alert_id);
          this.log.warn({ channel, alertId: alert.alert_id, state: alert.state, writtenAt: new Date(r.kafkaTimestampMs).toISOString() }, 'notification older than the expiry skipped undelivered');
          return false;
        }
        if (this.givenUp.get(channel)?.has(alert.alert_id)) {
          this.giveUp(channel, r, 'an earlier notification of this alert was given up');
          return false;
        }
        const skip = this.skipReason(notifier, alert, r.kafkaTimestampMs);
        if (alert.state === 'ACKNOWLEDGED') grouped.acknowledge(alert.alert_id);
        if (skip !== undefined) {
          this.m.skipped.inc({ channel, reason: skip.reason });
          this.log.debug({ channel, alertId: alert.alert_id, state: alert.state, reason: skip.reason, by: skip.by }, 'notification not sent on this channel');
          return false;
        }
        if (alert.state === 'FIRING') remember(this.sent, channel, alert.alert_id); // it goes out in its group
        return true;
      },
      onHeld: (r, held) => {
        if (held) this.inHand.set(`${channel}|${r.partition}:${r.offset}`, r.writtenAtMs);
        else this.inHand.delete(`${channel}|${r.partition}:${r.offset}`);
        this.updateGauges();
      },
      onAttempt: (a) => {
        if (a.ok) {
          if (a.kind === 'repeat') this.m.resent.inc({ channel, outcome: 'ok' });
          else this.m.notified.inc({ channel });
          this.lastAttempt.set(channel, { ok: true, atMs: this.clock.nowMs() });
          return;
        }
        if (a.kind === 'repeat') this.m.resent.inc({ channel, outcome: 'failed' });
        this.m.errors.inc({ channel });
        if (a.expired) this.m.expired.inc({ channel });
        this.lastAttempt.set(channel, { ok: false, error: a.error.slice(0, 300), atMs: this.clock.nowMs() });
      },
      member: () => consumerOf()?.readiness().ok === true && !this.stopping.signal.aborted,
      expireAfterMs,
      retry: o.retry ?? { initialDelayMs: 1000, maxDelayMs: 300_000 },
      clock: this.clock,
      logger: this.log,
      metrics: o.metrics ?? noopMetrics,
    });
    this.grouped.set(channel, grouped);
    return grouped;
  }

  /** Alerts a re-sending or repeating channel holds open from the records it delivered (not those recovered from `recoverOpen`). */
  openAlerts(channel: string): Alert[] {
    return this.opened.list(channel);
  }

  /**
   * One tick of a re-sending or repeating channel: the open alerts that are due are sent once more
   * (one attempt each); a re-sending channel first brings its recovered alerts up to date with
   * `recoverOpen` (new ones are due at once, those no longer firing are dropped).
   */
  private resend(notifier: Notifier, interval: number): void {
    const { channel } = notifier;
    if (this.stopping.signal.aborted) return;
    // only while this channel's consumer is a member of its group (expelled, crashed or rebalancing: no re-sends)
    if (this.consumers.find((c) => c.channel === channel)?.consumer.readiness().ok !== true) return;
    const recoverOpen = this.options.recoverOpen;
    const recovered = notifier.resendIntervalMs !== undefined && recoverOpen !== undefined
      ? { firing: recoverOpen(), admit: (a: Alert) => !this.muted.get(channel)?.has(a.alert_id) && this.options.mute?.(channel, a) === undefined }
      : undefined;
    for (const alert of this.opened.due(channel, interval, recovered)) {
      const p = notifier
        .send(alert)
        .then(() => this.m.resent.inc({ channel, outcome: 'ok' }))
        .catch((err: unknown) => {
          this.m.resent.inc({ channel, outcome: 'failed' });
          this.log.warn({ channel, alertId: alert.alert_id, code: errorCode(err), err: err instanceof Error ? err.message : String(err) }, 're-send of an open alert failed; the next interval tries again');
        })
        .finally(() => this.resending.delete(p));
      this.resending.add(p);
    }
  }

  /** What a channel does with a record before sending: `undefined` (send it) or the reason it is skipped, and what decided it. */
  private skipReason(notifier: Notifier, alert: Alert, writtenAtMs: number): { readonly reason: string; readonly by?: string } | undefined {
    const { channel } = notifier;
    const id = alert.alert_id;
    if (alert.state === 'ACKNOWLEDGED') {
      remember(this.acked, channel, id);
      if (notifier.resendIntervalMs === undefined) this.opened.close(channel, id); // an ack stops the repeats at once
    } else if (alert.state === 'FIRING' && (this.acked.get(channel)?.has(id) === true || this.options.isAcknowledged?.(id, writtenAtMs) === true)) return { reason: 'acknowledged' };
    const sentHere = this.sent.get(channel)?.has(id) === true; // a FIRING of this alert (the first or an escalation) went out here
    if (alert.state !== 'FIRING' && !sentHere && this.muted.get(channel)?.has(id) === true) return { reason: 'not-sent-firing' }; // no FIRING of it went out on this channel
    // the RESOLVED/ACKNOWLEDGED of a FIRING this channel sent goes out even if a silence or an inhibition began meanwhile;
    // when its fate is not known (a restart), the routing decides
    const mute = alert.state !== 'FIRING' && sentHere ? undefined : this.options.mute?.(channel, alert);
    if (mute !== undefined) {
      if (alert.state === 'FIRING' && !sentHere) remember(this.muted, channel, id); // muted only while nothing of it was sent here
      return mute;
    }
    if (!(notifier.states ?? DEFAULT_NOTIFIED_STATES).includes(alert.state)) return { reason: 'state' };
    return undefined;
  }

  /** Keeps a re-sending or repeating channel's open alerts after a delivery. */
  private delivered(notifier: Notifier, r: ConsumedRecord<Alert>): void {
    const interval = intervalOf(notifier);
    if (interval !== undefined) this.opened.delivered(notifier.channel, interval, r.value, r.partition);
  }

  /**
   * A channel's group that has no committed offset yet (a new channel, a renamed group, the first
   * start of this release) starts at the records written from `atMs` on — not at the topic's
   * history, which would send every episode still younger than the expiry again. A group with
   * offsets is left alone. When the offsets cannot be set (Kafka not answering, the topic not
   * created yet) the group starts from the beginning, skipping what is older than the expiry.
   */
  private async newChannelStartsNow(groupId: string, atMs: number): Promise<void> {
    const topic = this.options.topic;
    const admin = this.options.kafka.admin();
    try {
      await admin.connect();
      if (!(await admin.listTopics()).includes(topic)) return; // nothing written yet: the beginning is now
      const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
      if (committed.some((p) => p.offset !== '-1')) return;
      const at = await admin.fetchTopicOffsetsByTimestamp(topic, atMs);
      await admin.setOffsets({ groupId, topic, partitions: at.map((p) => ({ partition: p.partition, offset: p.offset })) });
      this.log.info({ groupId, topic, fromMs: atMs }, 'new notification channel group: it starts at the alerts written from now on');
    } catch (err) {
      this.log.warn({ groupId, err: err instanceof Error ? err.message : String(err) }, 'could not set a new channel group\'s start; it reads the alerts topic from its beginning (older than the expiry skipped)');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Leaves the groups; notifications not delivered stay in Kafka for the channel's next member. Idempotent. */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const t of this.timers) clearInterval(t);
    await Promise.all([...this.grouped.values()].map((g) => g.stop())); // notifications in flight end (delivered ones committed) before the consumers leave
    await Promise.all(this.consumers.map((c) => c.consumer.stop()));
    await Promise.allSettled([...this.resending]);
  }

  /** Notifications in hand and not delivered yet. */
  get pending(): number {
    return this.inHand.size;
  }

  /**
   * Whether each channel delivers, for `/readyz`: its consumer is a member of its group, and its
   * last attempt did not fail (a failing one says since when, why, and how many wait in hand).
   */
  channelStatus(): Record<string, { readonly ok: boolean; readonly reason?: string }> {
    const out: Record<string, { readonly ok: boolean; readonly reason?: string }> = {};
    for (const { channel, consumer } of this.consumers) {
      const member = consumer.readiness();
      const last = this.lastAttempt.get(channel);
      if (!member.ok) out[channel] = member;
      else if (last === undefined || last.ok) out[channel] = { ok: true };
      else {
        const waiting = [...this.inHand.keys()].filter((k) => k.startsWith(`${channel}|`)).length;
        out[channel] = { ok: false, reason: `last attempt failed ${Math.round((this.clock.nowMs() - last.atMs) / 1000)} s ago: ${last.error ?? ''}; ${waiting} notification(s) waiting` };
      }
    }
    return out;
  }

  /**
   * One batch of one partition for one channel: per alert id in order, alerts side by side; the
   * partition's offset is committed as far as every notification before it is done.
   */
  private async deliverBatch(notifier: Notifier, records: readonly ConsumedRecord<Alert>[], control: BatchControl): Promise<void> {
    const { channel } = notifier;
    const chains = new Map<string, ConsumedRecord<Alert>[]>();
    const foreign = records.filter((r) => r.headers?.[ALERTER_GROUP_HEADER] !== this.options.origin); // another group's alerts
    // records older than the expiry (a channel's group starting on a topic with history, an alerter down for hours): skipped, counted, one line
    const expireAfterMs = this.options.expireAfterMs ?? DEFAULT_NOTIFICATION_EXPIRY_MS;
    const stale = records.filter((r) => !foreign.includes(r) && this.clock.nowMs() - r.kafkaTimestampMs > expireAfterMs);
    if (stale.length > 0) {
      this.m.expired.inc({ channel }, stale.length);
      this.log.warn({ channel, partition: records[0]!.partition, skipped: stale.length, oldest: new Date(Math.min(...stale.map((r) => r.kafkaTimestampMs))).toISOString(), alertIds: stale.slice(0, 20).map((r) => r.value.alert_id) }, 'notifications older than the expiry skipped undelivered');
    }
    for (const r of records) {
      if (stale.includes(r) || foreign.includes(r)) continue;
      chains.set(r.value.alert_id, [...(chains.get(r.value.alert_id) ?? []), r]);
      this.inHand.set(`${channel}|${r.partition}:${r.offset}`, r.kafkaTimestampMs);
    }
    this.updateGauges();
    for (const r of stale) {
      this.markGivenUp(channel, r.value.alert_id); // no RESOLVED for a FIRING skipped as stale
      if (r.value.state !== 'FIRING') this.opened.close(channel, r.value.alert_id); // nor re-sends after a RESOLVED or ACK skipped as stale
    }
    const done = new Set<string>([...stale, ...foreign].map((r) => r.offset));
    // the partition may be taken away while notifications wait or go out: heartbeats on a timer
    // for the whole batch; a failed heartbeat or commit (a rebalance, the member expelled) means
    // this member may no longer own the partition — it stops sending at once, the new owner sends
    let lost = false;
    const owner = (): boolean => !lost && control.isRunning() && !this.stopping.signal.aborted;
    const beat = setInterval(() => {
      control.heartbeat().catch(() => {
        lost = true;
      });
    }, BEAT_MS);
    let next = 0; // index of the first record not done
    let committing = Promise.resolve();
    const advance = (): void => {
      const before = next;
      while (next < records.length && done.has(records[next]!.offset)) next++;
      // committed even when the partition may be moving: a delivered prefix left uncommitted would be
      // sent again whole by the next owner (a FIRING after its RESOLVED); the commit fails harmlessly
      // when this member no longer belongs to the generation
      if (next === before) return;
      const offset = records[next - 1]!.offset;
      committing = committing.then(() => control.commit(offset)).catch((err: unknown) => {
        lost = true;
        this.log.warn({ channel, partition: records[0]!.partition, offset, err: err instanceof Error ? err.message : String(err) }, 'could not commit delivered notifications (the partition moved?); this member stops sending them');
      });
    };
    advance(); // skipped records at the head
    const runChain = async (chain: readonly ConsumedRecord<Alert>[]): Promise<void> => {
      let gaveUp = false;
      for (const r of chain) {
        if (!owner()) throw notOwner();
        if (!gaveUp) gaveUp = (await this.deliverOne(notifier, r, owner)) === 'given-up';
        else this.giveUp(channel, r, 'an earlier notification of this alert was given up');
        this.inHand.delete(`${channel}|${r.partition}:${r.offset}`);
        done.add(r.offset);
        advance();
      }
    };
    try {
      const queue = [...chains.values()];
      const workers = Array.from({ length: Math.min(this.options.concurrency ?? 8, queue.length) }, async () => {
        for (let chain = queue.shift(); chain !== undefined && owner(); chain = queue.shift()) await runChain(chain);
      });
      // every worker ends (none goes on sending after the batch gave up), then the first failure counts
      const outcomes = await Promise.allSettled(workers);
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
      if (!owner()) throw notOwner();
    } finally {
      clearInterval(beat);
      for (const r of records) this.inHand.delete(`${channel}|${r.partition}:${r.offset}`);
      this.updateGauges();
      await committing;
    }
  }

  /**
   * Attempts one notification until it is delivered or given up.
   *
   * @throws when the consumer stops or loses the partition while the notification waits (not
   *   committed: the channel's next owner sends it).
   */
  private async deliverOne(notifier: Notifier, r: ConsumedRecord<Alert>, owner: () => boolean): Promise<Outcome> {
    const { channel } = notifier;
    const alert = r.value;
    if (this.givenUp.get(channel)?.has(alert.alert_id)) {
      this.giveUp(channel, r, 'an earlier notification of this alert was given up');
      return 'given-up';
    }
    // a RESOLVED taken in hand ends the channel's re-sends/repeats of its FIRING at once, not once
    // delivered: a re-send must not follow the resolve (PagerDuty would open a new incident)
    if (alert.state === 'RESOLVED') this.opened.close(channel, alert.alert_id);
    const skip = this.skipReason(notifier, alert, r.kafkaTimestampMs);
    if (skip !== undefined) {
      this.m.skipped.inc({ channel, reason: skip.reason });
      this.log.debug({ channel, alertId: alert.alert_id, state: alert.state, reason: skip.reason, by: skip.by }, 'notification not sent on this channel');
      if (alert.state === 'RESOLVED') this.delivered(notifier, r);
      return 'delivered';
    }
    const expireAfterMs = this.options.expireAfterMs ?? DEFAULT_NOTIFICATION_EXPIRY_MS;
    for (let attempt = 0; ; attempt++) {
      if (!owner()) throw notOwner();
      try {
        await notifier.send(alert);
        if (alert.state === 'FIRING') remember(this.sent, channel, alert.alert_id);
        this.delivered(notifier, r);
        this.m.notified.inc({ channel });
        this.lastAttempt.set(channel, { ok: true, atMs: this.clock.nowMs() });
        if (attempt > 0) this.log.info({ channel, alertId: alert.alert_id, state: alert.state, attempts: attempt + 1, delayMs: this.clock.nowMs() - r.kafkaTimestampMs }, 'notification delivered after retries');
        return 'delivered';
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.m.errors.inc({ channel });
        this.lastAttempt.set(channel, { ok: false, error: message.slice(0, 300), atMs: this.clock.nowMs() });
        if (isBusbarError(err) && !err.retriable) {
          this.giveUp(channel, r, `refused for good: ${message}`, errorCode(err));
          return 'given-up';
        }
        const delay = backoffDelayMs(attempt, this.options.retry ?? { initialDelayMs: 1000, maxDelayMs: 300_000 });
        if (this.clock.nowMs() + delay - r.kafkaTimestampMs > expireAfterMs) {
          this.giveUp(channel, r, `not delivered within ${expireAfterMs} ms: ${message}`, errorCode(err));
          return 'given-up';
        }
        this.log.warn({ channel, alertId: alert.alert_id, state: alert.state, code: errorCode(err), err: message, attempts: attempt + 1, retryInMs: delay }, 'notification failed; retried');
        await this.wait(delay, owner);
      }
    }
  }

  /** Waits `ms`. @throws when this member stops owning the partition (or stops) meanwhile. */
  private async wait(ms: number, owner: () => boolean): Promise<void> {
    const until = this.clock.nowMs() + ms;
    for (;;) {
      if (!owner()) throw notOwner();
      const left = until - this.clock.nowMs();
      if (left <= 0) return;
      await sleep(Math.min(BEAT_MS, left), this.stopping.signal);
    }
  }

  private markGivenUp(channel: string, alertId: string): void {
    let set = this.givenUp.get(channel);
    if (!set) this.givenUp.set(channel, (set = new Set()));
    set.add(alertId);
    if (set.size > 10_000) set.delete(set.values().next().value!);
  }

  private giveUp(channel: string, r: ConsumedRecord<Alert>, why: string, code?: string): void {
    this.markGivenUp(channel, r.value.alert_id);
    if (r.value.state === 'RESOLVED') this.opened.close(channel, r.value.alert_id); // Alertmanager resolves it by itself once its endsAt passed
    this.m.expired.inc({ channel });
    this.log.error({ channel, alertId: r.value.alert_id, state: r.value.state, device: r.value.device_id, code, writtenAt: new Date(r.kafkaTimestampMs).toISOString(), reason: why }, 'notification given up undelivered');
  }

  private updateGauges(): void {
    this.m.pending.set(undefined, this.inHand.size);
    const oldest = Math.min(...this.inHand.values());
    this.m.oldest.set(undefined, Number.isFinite(oldest) ? Math.max(0, this.clock.nowMs() - oldest) / 1000 : 0);
  }
}

/** The re-send (Alertmanager) or repeat (direct channels) interval of a channel, ms, or `undefined`. */
const intervalOf = (n: Notifier): number | undefined => n.resendIntervalMs ?? n.repeatIntervalMs;

/** Adds `id` to the channel's bounded set in `sets` (the oldest of 10 000 goes). */
function remember(sets: Map<string, Set<string>>, channel: string, id: string): void {
  let set = sets.get(channel);
  if (!set) sets.set(channel, (set = new Set()));
  set.add(id);
  if (set.size > 10_000) set.delete(set.values().next().value!);
}

/** The error a batch ends with when its member no longer owns the partition (or stops): nothing more committed, the next owner sends. */
function notOwner(): Error {
  return new BusbarError('BB_ALERTER_CHANNEL_REVOKED', 'the notification channel stopped or lost the partition while notifications waited; they stay in the alerts topic for the next owner', { retriable: true });
}
