/**
 * The alert-control record: how a person acknowledges an alert episode, pure (no I/O). Written by
 * `busbar alert ack` (or any Kafka tool), read by the alerter (`services/alerter/src/ack/listener.ts`).
 *
 * Topic: `busbar.alert-control.v1` (alerter config `acks.topic`), created by the alerter when absent
 * (3 partitions). Key: the alert id (UTF-8). Value: UTF-8 JSON
 *
 *   {"v":1,"action":"ack","alert_id":"<uuid of the episode>","by":"<who>","comment":"<why>","at_ms":<ms since epoch>}
 *
 * `action` is the only documented action so far (`ack`); `comment` may be absent; `alert_id` ≤ 128
 * characters, `by` ≤ 256, `comment` ≤ 1024. JSON rather than Avro: a one-field command any tool can
 * write (`kcat -P -t busbar.alert-control.v1 -K:`), read only by the alerter (docs/alerting.md,
 * "Acknowledgement").
 */
import { z } from 'zod';
import { BusbarError } from '@busbar/core';

/** Default alert-control topic (the alerter's `acks.topic`). */
export const DEFAULT_ALERT_CONTROL_TOPIC = 'busbar.alert-control.v1';

/** A decoded acknowledgement. */
export interface AckRecord {
  /** The episode acknowledged (the Alert's `alert_id`), ≤ 128 characters. */
  readonly alertId: string;
  /** Who acknowledged (a person or a tool), ≤ 256 characters. */
  readonly by: string;
  /** Why / what is being done, ≤ 1024 characters; absent when none. */
  readonly comment?: string | undefined;
  /** When, ms since epoch. */
  readonly atMs: number;
}

const valueSchema = z
  .object({
    v: z.literal(1),
    action: z.literal('ack'),
    alert_id: z.string().min(1).max(128),
    by: z.string().min(1).max(256),
    comment: z.string().max(1024).optional(),
    at_ms: z.number().int().min(0),
  })
  .strict();

/**
 * Encodes an acknowledgement (value bytes; the key is the alert id). Writes what it is given:
 * check it with {@link decodeAckRecord} before sending when it comes from a person.
 *
 * @param ack - see {@link AckRecord}.
 * @returns the UTF-8 JSON value.
 */
export function encodeAckRecord(ack: AckRecord): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, action: 'ack', alert_id: ack.alertId, by: ack.by, ...(ack.comment === undefined ? {} : { comment: ack.comment }), at_ms: ack.atMs }), 'utf8');
}

/**
 * Decodes an alert-control value.
 *
 * @param bytes - the record value.
 * @throws {BusbarError} `BB_ALERTER_ACK_INVALID` naming the field (not JSON, another `v` or
 *   `action`, a missing `alert_id`/`by`/`at_ms`, an unknown field, a field too long).
 */
export function decodeAckRecord(bytes: Buffer): AckRecord {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new BusbarError('BB_ALERTER_ACK_INVALID', `alert-control record is not JSON: ${(cause as Error).message}`, { cause });
  }
  const r = valueSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.join('.') || '(record)';
    throw new BusbarError('BB_ALERTER_ACK_INVALID', `alert-control record: ${field}: ${issue?.message ?? 'invalid'}`, { context: { field } });
  }
  return { alertId: r.data.alert_id, by: r.data.by, comment: r.data.comment, atMs: r.data.at_ms };
}
