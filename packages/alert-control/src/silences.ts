/**
 * Silences for the alerter's own channels (labs without Alertmanager), pure: Alertmanager's model —
 * a set of matchers, a start and an end, who and why — kept as records of a compacted Kafka topic.
 * Written by `busbar silence add|expire`, followed by every alerter (`routing/silence-store.ts`).
 *
 * Topic: `busbar.alert-silences.v1` (alerter config `routing.silences.topic`), `cleanup.policy=compact`,
 * 1 partition, created by the alerter when absent. Key: the silence id. Value: UTF-8 JSON
 *
 *   {"v":1,"id":"maint-r3","matchers":["rack=\"r3\""],"starts_at_ms":…,"ends_at_ms":…,"created_by":"alice","comment":"maintenance"}
 *
 * An empty value (tombstone) deletes the silence; a record with the same id replaces it (an earlier
 * `ends_at_ms` expires it). A silence mutes an alert while `starts_at_ms ≤ now < ends_at_ms` and all
 * of its matchers hold for the alert's labels (`labels.ts`).
 */
import { z } from 'zod';
import { BusbarError } from '@busbar/core';
import type { LabelMatcher } from './matchers.js';
import { matchesAll, parseMatcher } from './matchers.js';

/** Default silences topic (the alerter's `routing.silences.topic`). */
export const DEFAULT_SILENCES_TOPIC = 'busbar.alert-silences.v1';

/** A decoded silence. */
export interface Silence {
  /** The silence id, = the record key, ≤ 128 characters. */
  readonly id: string;
  /** The matchers as written (Alertmanager syntax). */
  readonly matchers: readonly string[];
  /** Parsed {@link Silence.matchers}. */
  readonly parsed: readonly LabelMatcher[];
  /** Start, ms since epoch (inclusive). */
  readonly startsAtMs: number;
  /** End, ms since epoch (exclusive). */
  readonly endsAtMs: number;
  /** Who made it, ≤ 256 characters. */
  readonly createdBy: string;
  /** Why, ≤ 1024 characters (may be empty). */
  readonly comment: string;
}

const valueSchema = z
  .object({
    v: z.literal(1),
    id: z.string().min(1).max(128),
    matchers: z.array(z.string().min(1)).min(1, 'give at least one matcher (a silence of everything is refused)'),
    starts_at_ms: z.number().int(),
    ends_at_ms: z.number().int(),
    created_by: z.string().min(1).max(256),
    comment: z.string().max(1024).default(''),
  })
  .strict()
  .refine((s) => s.ends_at_ms > s.starts_at_ms, { path: ['ends_at_ms'], message: 'must be after starts_at_ms' });

/**
 * Encodes a silence record value (the key is its id).
 *
 * @param s - the silence (its `parsed` matchers are not written). Writes what it is given: check it
 *   with {@link decodeSilence} before sending when it comes from a person.
 * @returns the UTF-8 JSON value.
 */
export function encodeSilence(s: Omit<Silence, 'parsed'>): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, id: s.id, matchers: s.matchers, starts_at_ms: s.startsAtMs, ends_at_ms: s.endsAtMs, created_by: s.createdBy, comment: s.comment }), 'utf8');
}

/**
 * Decodes a silence record.
 *
 * @param key - the record key (must equal the value's `id`).
 * @param value - the record value.
 * @throws {BusbarError} `BB_ALERTER_SILENCE_INVALID` naming the field (not JSON, a missing field, an
 *   end not after the start, a key that is not its id, no matcher); `BB_ALERTER_MATCHER_INVALID` for a bad matcher.
 */
export function decodeSilence(key: string, value: Buffer): Silence {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (cause) {
    throw new BusbarError('BB_ALERTER_SILENCE_INVALID', `silence ${key}: not JSON (${(cause as Error).message})`, { cause, context: { key } });
  }
  const r = valueSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.join('.') || '(record)';
    throw new BusbarError('BB_ALERTER_SILENCE_INVALID', `silence ${key}: ${field}: ${issue?.message ?? 'invalid'}`, { context: { key, field } });
  }
  if (r.data.id !== key) throw new BusbarError('BB_ALERTER_SILENCE_INVALID', `silence ${key}: id ${r.data.id} is not its key`, { context: { key, field: 'id' } });
  return { id: r.data.id, matchers: r.data.matchers, parsed: r.data.matchers.map(parseMatcher), startsAtMs: r.data.starts_at_ms, endsAtMs: r.data.ends_at_ms, createdBy: r.data.created_by, comment: r.data.comment };
}

/**
 * Where a silence stands at `nowMs`: `pending` before its start, `active` from its start
 * (inclusive) to its end (exclusive), `expired` from its end on.
 *
 * @param s - the silence (its start and end).
 * @param nowMs - ms since epoch.
 */
export function silenceStatus(s: Pick<Silence, 'startsAtMs' | 'endsAtMs'>, nowMs: number): 'pending' | 'active' | 'expired' {
  if (nowMs < s.startsAtMs) return 'pending';
  return nowMs < s.endsAtMs ? 'active' : 'expired';
}

/**
 * The first silence that mutes an alert with `labels` at `nowMs`, or `undefined`.
 *
 * @param silences - the known silences (any order).
 * @param labels - the alert's labels.
 * @param nowMs - ms since epoch.
 */
export function silencedBy(silences: Iterable<Silence>, labels: Readonly<Record<string, string>>, nowMs: number): Silence | undefined {
  for (const s of silences) if (s.startsAtMs <= nowMs && nowMs < s.endsAtMs && matchesAll(s.parsed, labels)) return s;
  return undefined;
}
