/**
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
