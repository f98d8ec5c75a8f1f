/**
 * The alerter's durable rule state, one record per firing series, pure (no I/O).
 *
 * Topic: the alerter's state topic (`state.topic`, default `busbar.alerter-state.<groupId>.v1`),
 * `cleanup.policy=compact`, internal to one alerter group. Key: the series key
 * `<rule id>|<device id>|<channel or empty>` (UTF-8). Partition: the partition of the readings
 * topic the series' readings come from (readings are keyed by device id), so the state of a
 * readings partition is the same partition of the state topic and follows it from member to member.
 *
 * Value: UTF-8 JSON, one of
 * - firing: `{"v":1,"rule","device_id","channel","severity","episode","episode_start_ms",
 *   "alert_id","updated_ms"}` (+ `"timer_ms"` for a device-event rule with a quiet time: its last
 *   matching event) while the series fires (written at its FIRING and at each escalation);
 * - waiting: `{"v":1,"rule","device_id","channel","waiting_since_ms"}` while a timer rule watches a
 *   series that does not fire: a no-data rule's known series (since: when it was first seen or
 *   resolved), a device-event rule's pending condition (since: the event that started it, e.g. a
 *   DISCONNECTED not yet followed by a CONNECTED);
 * - an empty value (tombstone) once nothing is to be remembered, so compaction forgets it. JSON rather than Avro: the
 * record never leaves the alerter group (no other consumer, no schema evolution across services);
 * `v` versions it.
 */
import { z } from 'zod';
import { BusbarError } from '@busbar/core';
import type { FiringSeries, Transition } from '../rules/transition.js';

/** The decoded value of a state record. */
export interface SeriesStateRecord extends FiringSeries {
  /** The rule the series belongs to. */
  readonly rule: string;
  /** The episode's alert id (informative: the evaluator derives it again from the episode). */
  readonly alertId: string;
  /** Timestamp of the reading of the last transition written, ms since epoch. */
  readonly updatedMs: number;
}

/** The decoded value of a waiting record (a timer rule's series that does not fire). */
export interface WaitingStateRecord {
  readonly rule: string;
  readonly deviceId: string;
  readonly channel: number | null;
  /** Start of what the series waits on, ms since epoch (see the module doc). */
  readonly waitingSinceMs: number;
}

/** A decoded state record: firing or waiting. */
export type StoredSeries = SeriesStateRecord | WaitingStateRecord;

/** Whether a stored series is a firing one. */
export const isFiring = (r: StoredSeries): r is SeriesStateRecord => 'severity' in r;

const waitingSchema = z
  .object({ v: z.literal(1), rule: z.string().min(1), device_id: z.string().min(1), channel: z.number().int().nullable(), waiting_since_ms: z.number().int() })
  .strict();

const firingSchema = z
  .object({
    v: z.literal(1),
    rule: z.string().min(1),
    device_id: z.string().min(1),
    channel: z.number().int().nullable(),
    severity: z.enum(['WARNING', 'CRITICAL']),
    episode: z.number().int().min(1),
    episode_start_ms: z.number().int(),
    alert_id: z.string().min(1),
    updated_ms: z.number().int(),
    timer_ms: z.number().int().optional(),
  })
  .strict();

const valueSchema = z.union([firingSchema, waitingSchema]);

/**
 * The state record a transition leaves: key, and value (`null`: a tombstone, the series resolved).
 *
 * @param alertId - the transition's alert id (`alertId(t)`).
 */
export function stateRecordOf(t: Transition, alertId: string): { key: string; value: Buffer | null } {
  if (t.state === 'RESOLVED') return { key: t.seriesKey, value: null };
  const value = { v: 1, rule: t.rule.id, device_id: t.deviceId, channel: t.channel, severity: t.severity, episode: t.episode, episode_start_ms: t.episodeStartMs, alert_id: alertId, updated_ms: t.atMs };
  return { key: t.seriesKey, value: Buffer.from(JSON.stringify(value), 'utf8') };
}

/** Encodes a stored series as a state record value (the inverse of {@link decodeStateRecord}). */
export function encodeStateRecord(r: StoredSeries): Buffer {
  const value = isFiring(r)
    ? { v: 1, rule: r.rule, device_id: r.deviceId, channel: r.channel, severity: r.severity, episode: r.episode, episode_start_ms: r.episodeStartMs, alert_id: r.alertId, updated_ms: r.updatedMs, ...(r.timerMs !== undefined ? { timer_ms: r.timerMs } : {}) }
    : { v: 1, rule: r.rule, device_id: r.deviceId, channel: r.channel, waiting_since_ms: r.waitingSinceMs };
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/**
 * Decodes a state record's value (not a tombstone): firing or waiting.
 *
 * @throws {BusbarError} `BB_ALERTER_STATE_UNDECODABLE` when it is not the JSON above, or its fields
 *   do not name the series of its key.
 */
export function decodeStateRecord(key: string, value: Buffer): StoredSeries {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (cause) {
    throw new BusbarError('BB_ALERTER_STATE_UNDECODABLE', `state record ${key}: not JSON (${(cause as Error).message})`, { cause, context: { key } });
  }
  const parsed = valueSchema.safeParse(json);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new BusbarError('BB_ALERTER_STATE_UNDECODABLE', `state record ${key}: ${why}`, { context: { key } });
  }
  const r = parsed.data;
  const expected = `${r.rule}|${r.device_id}|${r.channel ?? ''}`;
  if (expected !== key) throw new BusbarError('BB_ALERTER_STATE_UNDECODABLE', `state record ${key}: its fields name series ${expected}`, { context: { key } });
  if ('waiting_since_ms' in r) return { rule: r.rule, deviceId: r.device_id, channel: r.channel, waitingSinceMs: r.waiting_since_ms };
  return { rule: r.rule, deviceId: r.device_id, channel: r.channel, severity: r.severity, episode: r.episode, episodeStartMs: r.episode_start_ms, alertId: r.alert_id, updatedMs: r.updated_ms, ...(r.timer_ms !== undefined ? { timerMs: r.timer_ms } : {}) };
}
