/**
 * The alerter's composition: readings — and device events, when a `disconnect` or `device_event`
 * rule is configured — in one consumer group → rule engines (`rules/`: threshold, rate of change,
 * no-data, device events) → for each batch with transitions or state changes, ONE Kafka
 * transaction that holds its Alert records (alerts topic), the changed rule state (compacted state
 * topic) and the batch's offsets (see `handler.ts`). Rules with timers (no-data silence, an event
 * condition's `forMs` or `quietMs`) are evaluated by a tick every second, between batches, written
 * the same way (without offsets). Apart from that, the notification channels (e-mail, webhooks,
 * Alertmanagers, PagerDuty): each a consumer group on the alerts topic that sends what was
 * committed and commits what it delivered (`notify/dispatcher.ts`); and the acknowledgements: a
 * consumer group `<groupId>.acks` on the alert-control topic that publishes the ACKNOWLEDGED Alert
 * of a firing episode on the alerts topic (`ack/listener.ts`), where the channels read it.
 *
 * So a batch is either wholly done — alerts, state, offsets — or not at all and redelivered, to this
 * member or to the partition's next owner; and a notification is sent by whichever member owns its
 * alerts partition, in order per device, never by a process that lost it meanwhile (a killed
 * alerter keeps nothing locally). Rule state survives restarts and partition moves: the firing
 * series (and the series timer rules wait on) are restored from the state topic before the first
 * batch of each assigned partition — or at the next tick when no batch comes — so an episode keeps
 * its alert id across a restart or a rebalance and its RESOLVED is sent, also when the value
 * recovered while no alerter ran, and a device silent across the restart still fires. A breach that
 * has not fired yet restarts its for-duration clock at the first reading after the restart.
 */
import { hostname } from 'node:os';
import type { AckRecord } from '@busbar/alert-control';
import { decodeAckRecord, silencedBy } from '@busbar/alert-control';
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError, errorCode } from '@busbar/core';
import type { Alert, DeviceEvent, Reading } from '@busbar/avro';
import { alertSerde, deadLetterSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import { CompactedTable, DecodingConsumer, PRODUCER_OPTIONS, createKafka, healingProducer, retryKafkaStartup, topicEncoder, watchProducer } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import type { AlerterConfig, AlerterConfigFile } from './config.js';
import { channelsOf, enginesOf, readsDeviceEvents, resolveAlerterSecrets, signalOfRule, stateTopicOf } from './config.js';
import { alertLabeler } from './routing/labels.js';
import { inhibitedBy } from './routing/inhibition.js';
import { receiversOf } from './routing/routes.js';
import { openSilences } from './routing/silence-store.js';
import type { SilenceStore } from './routing/silence-store.js';
import type { MuteCheck } from './notify/dispatcher.js';
import { startAckListener } from './ack/listener.js';
import { alertmanagerNotifier } from './notify/alertmanager.js';
import { pagerDutyNotifier } from './notify/pagerduty.js';
import type { SeriesStateRecord } from './rule-state/record.js';
import type { BatchWriter } from './handler.js';
import { createReadingsHandler } from './handler.js';
import { ALERTER_GROUP_HEADER, NotificationDispatcher } from './notify/dispatcher.js';
import type { Notifier } from './notify/dispatcher.js';
import { EmailNotifier } from './notify/email.js';
import { postWebhook, postWebhookGroup } from './notify/webhook.js';
import { openRuleState } from './rule-state/store.js';

/** Longest wait of the notification channels' fetches, ms (see `NotificationDispatcherOptions.maxWaitTimeMs`). */
const NOTIFY_FETCH_WAIT_MS = 100;

/**
 * Retries of the transactional producer: a transaction begun just after the previous one committed
 * is answered CONCURRENT_TRANSACTIONS until the broker has written the markers (milliseconds) —
 * retried from 20 ms rather than the client's 200 ms (the Java client does the same).
 */
const TX_RETRY = { retries: 12, initialRetryTime: 20, maxRetryTime: 10_000 } as const;

/** Interval of the rule timers' tick (no-data silences, device-event `forMs`/`quietMs`), ms. */
const RULE_TICK_INTERVAL_MS = 1000;

/**
 * Starts the alerter.
 *
 * @param input - the configuration from `loadAlerterConfig` (secrets read), or as parsed by
 *   `alerterConfigSchema` (its secret files are then read relative to the working directory).
 * @throws when Kafka cannot be reached at start; `BB_ALERTER_SECRET_UNREADABLE` for a secret file.
 */
export async function startAlerter(input: AlerterConfig | AlerterConfigFile, deps: { logger: Logger; metrics: Metrics }): Promise<RunningService> {
  const config = resolveAlerterSecrets(input, process.cwd());
  const { logger, metrics } = deps;
  if (config.outbox.path !== undefined) logger.warn({ path: config.outbox.path }, 'outbox.path is no longer used: notifications wait in the alerts topic (each channel is a consumer group); remove it from the configuration');

  const kafka = createKafka({ ...config.kafka, clientId: config.kafka.clientId ?? 'busbar-alerter' }, logger, metrics);
  const producer = healingProducer(() => kafka.producer(PRODUCER_OPTIONS), { name: 'acks-and-dead-letters', logger, metrics });
  const producerCheck = watchProducer(producer);
  await retryKafkaStartup('producer connect', () => producer.connect(), { logger: logger });
  // the batches' transactions: alerts + rule state + offsets, all or nothing
  const transactionalId = `${config.groupId}.${config.instanceId ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}`}`;
  const newTxProducer = (): typeof producer => kafka.producer({ ...PRODUCER_OPTIONS, transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: TRANSACTION_TIMEOUT_MS, retry: TX_RETRY });
  // InitProducerId at connect (an empty transaction begun and aborted sends nothing else), not at the
  // first alert: it finds the transaction coordinator and fences an earlier process of this id — half
  // a second the first alert after a start would otherwise wait
  const connectTx = async (p: typeof producer): Promise<void> => {
    await p.connect();
    await (await p.transaction()).abort();
  };
  let txProducer = newTxProducer();
  await retryKafkaStartup('transactional producer connect', () => connectTx(txProducer), { logger: logger });
  // After any failed write the transactional producer is replaced before the next one: kafkajs cannot
  // use a transaction manager again whose commit or abort failed (its state stays COMMITTING or
  // ABORTING), and a new producer under the same transactional id bumps the epoch at its
  // InitProducerId — the broker then ends what the failed one left open and fences it.
  let txBroken = false;
  const freshTxProducer = async (): Promise<void> => {
    const old = txProducer;
    txProducer = newTxProducer();
    await old.disconnect().catch(() => undefined);
    await connectTx(txProducer); // throws: still broken, the next write tries again
    txBroken = false;
    logger.info({ transactionalId }, 'transactional producer replaced after a failed write');
  };
  const eventsTopic = readsDeviceEvents(config) ? config.topics.deviceEvents : undefined;
  const stateTopic = stateTopicOf(config);
  const state = await openRuleState({ kafka, topic: stateTopic, readingsTopic: config.topics.readings, eventsTopic, timeoutMs: config.state.loadTimeoutMs, logger });
  const encodeAlert = topicEncoder(kafka, config.topics.alerts, alertSerde);
  const writer: BatchWriter = {
    async write(batch) {
      if (txBroken) await freshTxProducer();
      let txn: Awaited<ReturnType<typeof txProducer.transaction>>;
      try {
        txn = await txProducer.transaction();
      } catch (err) {
        txBroken = true;
        throw err;
      }
      try {
        // the header names the group that evaluated the alert: only its own channels notify it (several alerter groups may share the alerts topic)
        const alertMessages = await Promise.all(batch.alerts.map(async (a) => ({ key: a.device_id, value: await encodeAlert(a), headers: { [ALERTER_GROUP_HEADER]: config.groupId } })));
        // one produce request for both topics (a round trip less per batch than two sends)
        const topicMessages = [
          ...(alertMessages.length > 0 ? [{ topic: config.topics.alerts, messages: alertMessages }] : []),
          ...(batch.state.length > 0 ? [{ topic: stateTopic, messages: batch.state.map((c) => ({ key: c.key, value: c.value, partition: c.partition })) }] : []),
        ];
        if (topicMessages.length > 0) await txn.sendBatch({ acks: -1, topicMessages });
        const o = batch.offset;
        if (o !== undefined) await txn.sendOffsets({ consumerGroupId: o.groupId, topics: [{ topic: o.topic, partitions: [{ partition: o.partition, offset: o.offset }] }] });
      } catch (err) {
        txBroken = true; // a send that timed out may have been written: the next producer's new epoch ends the transaction
        await txn.abort().catch((abortErr: unknown) => logger.warn({ err: abortErr instanceof Error ? abortErr.message : String(abortErr) }, 'could not abort the batch transaction; the replacement producer ends it'));
        throw err;
      }
      try {
        await txn.commit();
      } catch (err) {
        txBroken = true; // committed or not: the replacement producer's InitProducerId completes or aborts it
        throw new BusbarError('BB_ALERTER_WRITE_OUTCOME_UNKNOWN', `the batch transaction's commit got no clear answer: ${err instanceof Error ? err.message : String(err)}`, { cause: err, retriable: true });
      }
    },
  };
  const handle = createReadingsHandler({ engines: enginesOf(config), eventsTopic, writer, state, logger, metrics });

  // the templates' `labels`: the built-in routing's label settings (none without routing)
  const templateLabels = config.routing === undefined ? undefined : { labels: config.routing.labels, deviceLabels: config.routing.deviceLabels };
  const email = config.email ? new EmailNotifier({ ...config.email, labels: templateLabels }) : undefined;
  const direct: Notifier[] = [
    ...(email ? [{ channel: 'email', send: (a) => email.send(a), sendGroup: (g) => email.sendGroup(g) } satisfies Notifier] : []),
    ...config.webhooks.map((h, i): Notifier => {
      const channel = `webhook-${h.name ?? i + 1}`;
      const hook = { ...h, channel, labels: templateLabels }; // one object per hook: its template is compiled once
      return { channel, send: (a) => postWebhook(hook, a), sendGroup: (g) => postWebhookGroup(hook, g) };
    }),
    ...config.pagerduty.map((pd, i) => pagerDutyNotifier(`pagerduty-${i + 1}`, pd)),
  ];
  const repeatMs = config.routing?.repeatIntervalMs;
  const notifiers: Notifier[] = [
    // repeat_interval: every channel but the Alertmanagers (they re-send by themselves)
    ...(repeatMs === undefined ? direct : direct.map((n) => ({ ...n, repeatIntervalMs: repeatMs }))),
    ...config.alertmanagers.map((am, i) => alertmanagerNotifier(`alertmanager-${i + 1}`, am)),
  ];
  const silences = config.routing?.silences === undefined ? undefined : await openSilences({ kafka, topic: config.routing.silences.topic, logger });
  const publishAlerts = async (alerts: readonly Alert[]): Promise<void> => {
    const messages = await Promise.all(alerts.map(async (a) => ({ key: a.device_id, value: await encodeAlert(a), headers: { [ALERTER_GROUP_HEADER]: config.groupId } })));
    await producer.send({ topic: config.topics.alerts, acks: -1, messages });
  };
  const acks = config.acks.enabled
    ? await startAckListener({
      kafka, producer, groupId: config.groupId, topic: config.acks.topic, deadLetterTopic: config.topics.deadLetter,
      findEpisode: (id) => state.findEpisode(id), signalOf: (ruleId) => signalOfRule(config, ruleId), publish: publishAlerts, logger, metrics,
    })
    : undefined;
  // every member follows the whole alert-control topic: an escalation of an episode acknowledged
  // before a restart or a hand-over (behind the channel's committed offset, so not read again by
  // the channel) is still held back
  const acked = acks === undefined ? undefined : new CompactedTable<AckRecord>({ kafka, topic: config.acks.topic, decode: (_key, value) => decodeAckRecord(value), logger });
  await acked?.start();
  const dispatcher = new NotificationDispatcher({
    kafka, producer, topic: config.topics.alerts, deadLetterTopic: config.topics.deadLetter, groupPrefix: `${config.groupId}.notify`, origin: config.groupId, notifiers,
    expireAfterMs: config.outbox.expireAfterMs, retry: { initialDelayMs: config.outbox.retryInitialMs, maxDelayMs: config.outbox.retryMaxMs }, logger, metrics,
    // Alertmanager re-sends after a restart or a hand-over: the firing series of the rule state
    maxWaitTimeMs: NOTIFY_FETCH_WAIT_MS,
    ...(acked === undefined ? {} : { isAcknowledged: (id: string, firingAtMs: number) => (acked.get(id)?.atMs ?? Infinity) <= firingAtMs }),
    recoverOpen: () => [...state.allFiring()].map((s) => firingAlertOf(s, signalOfRule(config, s.rule) ?? s.rule)),
    // built-in group_by for the channels that send groups (e-mail, webhooks)
    ...(config.routing?.groupBy === undefined ? {} : { grouping: { groupBy: config.routing.groupBy, groupWaitMs: config.routing.groupWaitMs, groupIntervalMs: config.routing.groupIntervalMs, labelsOf: alertLabeler(config.routing) } }),
    ...(config.routing === undefined ? {} : { mute: muter(config, silences, () => [...state.allFiring()].map((s) => firingAlertOf(s, signalOfRule(config, s.rule) ?? s.rule))) }),
  });
  await dispatcher.start();

  const consumer = new DecodingConsumer<Reading | DeviceEvent>({
    kafka,
    producer,
    groupId: config.groupId,
    topic: config.topics.readings,
    decoder: readingSerde,
    // rules on device events: the events topic in the same group (its partitions' state in the same state topic)
    ...(eventsTopic !== undefined ? { moreTopics: [{ topic: eventsTopic, decoder: deviceEventSerde }] } : {}),
    deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
    handle,
    // a rebalance or a crash: no tick works on partitions this member may no longer own (until the next join)
    onRevoked: () => handle.reassigned({ readings: [], events: [] }),
    onAssignment: (readings, byTopic) => handle.reassigned({ readings, events: eventsTopic === undefined ? [] : (byTopic.get(eventsTopic) ?? []) }),
    logger,
    metrics,
  });
  await consumer.start();
  // timers of no-data and device-event rules: a tick every second, between batches
  let ticking: Promise<void> | undefined;
  const ticker = setInterval(() => {
    if (ticking) return;
    ticking = handle
      .tick()
      .catch((err: unknown) => logger.warn({ code: errorCode(err), err: err instanceof Error ? err.message : String(err) }, 'rule timers: tick failed; the next tick retries'))
      .finally(() => (ticking = undefined));
  }, RULE_TICK_INTERVAL_MS);
  ticker.unref();
  logger.info({ rules: config.rules.map((r) => `${r.id} (${r.type})`), eventsTopic }, 'alerter running');
  return {
    health: () => ({ ok: true, details: { rules: config.rules.length, notifications_pending: dispatcher.pending } }),
    ready: () => {
      const stateProblem = state.problem();
      return {
        kafka_consumer: consumer.readiness(),
        ...(acks === undefined ? {} : { kafka_acks_consumer: acks.readiness() }),
        kafka_producer: producerCheck(),
        rule_state: stateProblem === undefined ? { ok: true } : { ok: false, reason: stateProblem },
        ...(acked === undefined ? {} : { acks_table: ((p) => (p === undefined ? { ok: true } : { ok: false, reason: p }))(acked.problem()) }),
        ...(silences === undefined ? {} : { silences: ((p) => (p === undefined ? { ok: true } : { ok: false, reason: p }))(silences.problem()) }),
        // one check per notification channel: `notify_email` (SMTP), `notify_webhook-1` …
        ...Object.fromEntries(Object.entries(dispatcher.channelStatus()).map(([channel, st]) => [`notify_${channel}`, st])),
      };
    },
    stop: async () => {
      clearInterval(ticker);
      await ticking; // a tick in progress commits (or aborts) its transaction first
      await consumer.stop(); // leaves the group: another member takes the partitions over at once
      await acks?.stop();
      await dispatcher.stop(); // undelivered notifications stay in the alerts topic for the channel's next member
      await state.stop();
      await silences?.stop();
      await acked?.stop();
      await txProducer.disconnect().catch(() => undefined);
      await producer.disconnect();
      email?.close();
    },
  };
}

/**
 * The built-in routing of a configuration as the dispatcher's mute check (`routing/`): a route that
 * sends the alert to other channels, then a silence of the silences topic, then an inhibition by a
 * firing series of the rule state (every partition, as read so far).
 */
function muter(config: AlerterConfig, silences: SilenceStore | undefined, firing: () => readonly Alert[]): MuteCheck {
  const routing = config.routing!;
  const labelsOf = alertLabeler(routing);
  const channels = channelsOf(config);
  const routed = routing.routes.length > 0 || routing.defaultReceivers !== undefined;
  return (channel, alert) => {
    const labels = labelsOf(alert);
    if (routed && !receiversOf(routing.routes, routing.defaultReceivers ?? channels, labels).has(channel)) return { reason: 'routed-elsewhere', by: 'routes' };
    const silence = silences === undefined ? undefined : silencedBy(silences.current(), labels, Date.now());
    if (silence !== undefined) return { reason: 'silenced', by: `silence ${silence.id}` };
    if (routing.inhibitRules.length === 0) return undefined;
    const by = inhibitedBy({ alertId: alert.alert_id, labels }, firing().map((a) => ({ alertId: a.alert_id, labels: labelsOf(a) })), routing.inhibitRules);
    return by === undefined ? undefined : { reason: 'inhibited', by: `alert ${by}` };
  };
}

/**
 * The Alert re-sent for a firing series the channel has no record of (after a restart or a
 * hand-over): the episode's id, rule, device, channel and severity, `timestamp` = the episode's
 * start, no value or threshold, a message that says so.
 */
function firingAlertOf(s: SeriesStateRecord, signal: string): Alert {
  const where = s.channel === null ? s.deviceId : `${s.deviceId} channel ${s.channel}`;
  return {
    alert_id: s.alertId, rule: s.rule, device_id: s.deviceId, channel: s.channel, signal, severity: s.severity, state: 'FIRING',
    value: null, threshold: null, timestamp: new Date(s.episodeStartMs),
    message: `${where}: ${signal} fires since ${new Date(s.episodeStartMs).toISOString()} (rule ${s.rule})`,
  };
}

/** Longest time a batch's transaction may stay open before the broker aborts it, ms: also how long a killed member's open transaction holds its partitions' read-committed readers. */
const TRANSACTION_TIMEOUT_MS = 10_000;
