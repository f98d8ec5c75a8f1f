/**
 * `busbar alert list`: the episodes of the alerts topic's recent records, folded by alert id.
 * `busbar alert ack`: writes an acknowledgement on the alert-control topic (`@busbar/alert-control`;
 * key = the alert id) for the alerter to turn into an ACKNOWLEDGED Alert, and with `--wait` waits for
 * that Alert on the alerts topic and prints it (docs/alerting.md, "Acknowledgement").
 */
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { Alert } from '@busbar/avro';
import { alertSerde } from '@busbar/avro';
import type { AckRecord } from '@busbar/alert-control';
import { decodeAckRecord, encodeAckRecord } from '@busbar/alert-control';
import { isBusbarError } from '@busbar/core';
import { readTopicToEnd } from '@busbar/kafka';
import { ConfigError } from '@busbar/runtime';
import { awaitRecord } from './await-record.js';
import { connect, topicExists } from './connection.js';
import type { ConnectionOptions } from './connection.js';
import type { CliIo } from './io.js';
import { EXIT, jsonLine } from './io.js';

/** Options of `busbar alert ack` (see its `--help`). */
export interface AckOptions extends ConnectionOptions {
  /** The episode's `alert_id` (as printed by `busbar tail alerts` or in the mail). */
  readonly alertId: string;
  /** Who acknowledges, ≤ 256 characters. */
  readonly by: string;
  /** Why / what is being done, ≤ 1024 characters. */
  readonly comment?: string | undefined;
  /** The alert-control topic (the alerter's `acks.topic`). */
  readonly controlTopic: string;
  /** Wait for the ACKNOWLEDGED Alert and print it. */
  readonly wait: boolean;
  /** With `wait`: seconds to wait. */
  readonly timeoutS: number;
}

/**
 * The acknowledgement record, checked by the codec the alerter decodes it with.
 *
 * @param nowMs - the ack's time, ms since epoch.
 * @returns the record and its encoded value.
 * @throws {ConfigError} `BB_CONFIG_INVALID` naming the field the alerter would refuse (an empty or too long id, `--by`, `--comment`).
 */
export function buildAck(o: Pick<AckOptions, 'alertId' | 'by' | 'comment'>, nowMs: number): { ack: AckRecord; value: Buffer } {
  const ack: AckRecord = { alertId: o.alertId, by: o.by, comment: o.comment, atMs: nowMs };
  const value = encodeAckRecord(ack);
  try {
    decodeAckRecord(value);
  } catch (err) {
    if (isBusbarError(err)) throw new ConfigError('BB_CONFIG_INVALID', `the alerter would refuse this acknowledgement: ${err.message} (alert_id = <alert-id>, by = --by ≤ 256 characters, comment = --comment ≤ 1024)`, { cause: err });
    throw err;
  }
  return { ack, value };
}

/**
 * Acknowledges one episode and, with `wait`, prints its ACKNOWLEDGED Alert as one JSON line.
 *
 * @returns the exit code ({@link EXIT}): 0 written (and, with --wait, acknowledged); 1 the
 *   alert-control topic does not exist, or no ACKNOWLEDGED Alert within the timeout.
 * @throws {ConfigError} as {@link buildAck} and `connect`; kafkajs errors when the cluster cannot be reached.
 */
export async function ackAlert(o: AckOptions, io: CliIo): Promise<number> {
  const conn = connect(o, io.env, 'busbar-cli');
  const { ack, value } = buildAck(o, Date.now());
  const producer = conn.kafka.producer();
  let consumer: Consumer | undefined;
  try {
    if (!(await topicExists(conn.kafka, o.controlTopic))) {
      io.err(`busbar: the alert-control topic ${o.controlTopic} does not exist or this principal may not see it: the alerter creates it at start when acks are enabled (acks.topic of its configuration; give the same name with --control-topic); with ACLs, the principal needs the issuer ACLs (busbar-topics acls --grant issuer=<principal>)`);
      return EXIT.failed;
    }
    let acknowledged: Promise<Alert | undefined> = Promise.resolve(undefined);
    if (o.wait) {
      consumer = conn.kafka.consumer({ groupId: `busbar-cli-${randomUUID()}` });
      ({ answer: acknowledged } = await awaitRecord(conn.kafka, consumer, conn.topics.alerts, conn.framing.decoder(alertSerde), (a) => a.alert_id === ack.alertId && a.state === 'ACKNOWLEDGED', o.timeoutS * 1000));
    }
    await producer.connect();
    await producer.send({ topic: o.controlTopic, acks: -1, messages: [{ key: ack.alertId, value }] });
    io.err(`busbar: acknowledgement of alert ${ack.alertId} by ${ack.by} written to ${o.controlTopic}`);
    if (!o.wait) {
      io.out(jsonLine({ alert_id: ack.alertId, sent: true }));
      return EXIT.ok;
    }
    const a = await acknowledged;
    if (a === undefined) {
      io.err(
        `busbar: no ACKNOWLEDGED alert ${ack.alertId} on ${conn.topics.alerts} within ${o.timeoutS} s. The alerter acknowledges only an episode that fires now: an unknown id or an episode already RESOLVED is ignored ` +
          `(its log says "ack for an alert that does not fire", busbar_alerter_acks_total{outcome="not_firing"} counts it). Check the id (busbar tail alerts --from-beginning), ` +
          `that an alerter runs with acks enabled on ${o.controlTopic}, and that it publishes on ${conn.topics.alerts}.`,
      );
      return EXIT.failed;
    }
    io.out(jsonLine(a));
    return EXIT.ok;
  } finally {
    await Promise.allSettled([producer.disconnect(), consumer?.disconnect(), conn.framing.close()]);
  }
}

/** One episode as `busbar alert list` prints it: its last record, when it began and when it last changed. */
export interface EpisodeSummary {
  readonly alert_id: string;
  readonly rule: string;
  readonly device_id: string;
  readonly channel: number | null;
  readonly signal: string;
  /** The last record's severity (an escalation raises it). */
  readonly severity: Alert['severity'];
  /** The last record's state: FIRING or ACKNOWLEDGED (open), RESOLVED. */
  readonly state: Alert['state'];
  /** Timestamp of its first record in the window. */
  readonly first_at: Date;
  /** Timestamp of its last record. */
  readonly last_at: Date;
  /** The last record's message. */
  readonly message: string;
}

/**
 * Folds Alert records (in topic order; an episode's records share a partition) into one summary per
 * `alert_id`, ordered by first record.
 *
 * @param open - keep only episodes whose last state is FIRING or ACKNOWLEDGED.
 */
export function foldEpisodes(alerts: Iterable<Alert>, open: boolean): EpisodeSummary[] {
  const byId = new Map<string, EpisodeSummary>();
  for (const a of alerts) {
    const first = byId.get(a.alert_id)?.first_at ?? a.timestamp;
    byId.set(a.alert_id, { alert_id: a.alert_id, rule: a.rule, device_id: a.device_id, channel: a.channel, signal: a.signal, severity: a.severity, state: a.state, first_at: first, last_at: a.timestamp, message: a.message });
  }
  return [...byId.values()].filter((e) => !open || e.state !== 'RESOLVED').sort((x, y) => x.first_at.getTime() - y.first_at.getTime() || x.alert_id.localeCompare(y.alert_id));
}

/**
 * `busbar alert list`: reads the alerts topic from `sinceS` ago (Kafka record timestamps) to its end
 * and prints one JSON line per episode ({@link foldEpisodes}); an episode that began before the
 * window shows from its first record inside it.
 *
 * @returns 0.
 * @throws {BusbarError} `BB_KAFKA_REPLAY_INCOMPLETE` when the topic cannot be read to its end in 60 s; kafkajs errors.
 */
export async function listAlerts(o: ConnectionOptions & { readonly firing: boolean; readonly sinceS: number }, io: CliIo): Promise<number> {
  const conn = connect(o, io.env, 'busbar-cli');
  try {
    const alerts: Alert[] = [];
    await readTopicToEnd({ kafka: conn.kafka, topic: conn.topics.alerts, decoder: alertSerde, framing: conn.framing, sinceMs: Date.now() - o.sinceS * 1000, timeoutMs: 60_000 }, (a) => void alerts.push(a));
    for (const e of foldEpisodes(alerts, o.firing)) io.out(jsonLine(e));
    return EXIT.ok;
  } finally {
    await conn.framing.close();
  }
}
