/**
 * `busbar silence add | list | expire`: silences of the alerter's own channels, records of the
 * compacted silences topic (`@busbar/alert-control`; key = the silence id), the alerter's
 * `routing.silences.topic` (docs/alerting.md, "Silences").
 *
 * Expiring rewrites the record with `ends_at_ms` = now (rather than a tombstone): compaction keeps the
 * expired silence, so `silence list --all` still shows who silenced what and until when, as
 * Alertmanager keeps expired silences.
 */
import { randomUUID } from 'node:crypto';
import parseDuration from 'parse-duration';
import type { Silence } from '@busbar/alert-control';
import { decodeSilence, encodeSilence, parseMatcher, silenceStatus } from '@busbar/alert-control';
import { isBusbarError } from '@busbar/core';
import { CompactedTable } from '@busbar/kafka';
import { ConfigError } from '@busbar/runtime';
import { connect, topicExists } from './connection.js';
import type { Connection, ConnectionOptions } from './connection.js';
import type { CliIo } from './io.js';
import { EXIT, jsonLine } from './io.js';

/** Options of `busbar silence add` (see its `--help`). */
export interface SilenceAddOptions extends ConnectionOptions {
  /** Matchers in Alertmanager syntax (`rack="r3"`), all of which must hold; at least one. */
  readonly matcher: readonly string[];
  /** How long from the start, e.g. `2h`, `90m`, `1h30m`, `1d` (one of `duration` / `until`). */
  readonly duration?: string | undefined;
  /** The end, ISO 8601 with a zone (one of `duration` / `until`). */
  readonly until?: string | undefined;
  /** The start, ISO 8601 with a zone (default now). */
  readonly starts?: string | undefined;
  /** Who silences, ≤ 256 characters. */
  readonly by: string;
  /** Why, ≤ 1024 characters. */
  readonly comment: string;
  /** The silence id (default a new UUID); the id of an existing silence replaces it. */
  readonly id?: string | undefined;
  /** The silences topic. */
  readonly silencesTopic: string;
}

/** Options of `busbar silence list` and `busbar silence expire`. */
export interface SilenceTopicOptions extends ConnectionOptions {
  /** The silences topic. */
  readonly silencesTopic: string;
}

/** A duration as Go and Alertmanager write one: number+unit runs, units ms s m h d w (`2h`, `1h30m`, `1.5h`). */
const DURATION = /^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/;
/** ISO 8601 date-time with seconds optional and a zone required (`2026-12-03T20:00Z`, `…T21:00:00+01:00`). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(option: string, text: string): number {
  const ms = INSTANT.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new ConfigError('BB_CONFIG_INVALID', `${option} ${text}: expected an ISO 8601 date-time with a zone, e.g. 2026-12-03T20:00Z or 2026-12-03T21:00+01:00`);
  return ms;
}

/**
 * A duration option in ms (the text checked against {@link DURATION}, converted by the
 * `parse-duration` library).
 *
 * @param option - the option named in the error (`--duration`, `--since`).
 * @throws {ConfigError} `BB_CONFIG_INVALID` for another form (`2 hours`, `-1h`, a bare number) or zero.
 */
export function parseDurationMs(text: string, option = '--duration'): number {
  const ms = DURATION.test(text) ? parseDuration(text) : null;
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) throw new ConfigError('BB_CONFIG_INVALID', `${option} ${text}: expected a positive duration such as 30m, 2h, 1h30m, 1d (units ms, s, m, h, d, w)`);
  return Math.round(ms);
}

/**
 * The silence `busbar silence add` writes, validated before anything is written: every matcher
 * parsed, one of `--duration`/`--until`, an end after the start and after now, and the record
 * decoded back by the codec the alerter reads it with.
 *
 * @param nowMs - now, ms since epoch (the default start).
 * @returns the silence and its encoded value.
 * @throws {ConfigError} `BB_CONFIG_INVALID` naming the option: a bad matcher (quoted), both or
 *   neither of `--duration`/`--until`, a bad duration or date, an end not after the start or already
 *   past, a field the alerter would refuse (id ≤ 128, `--by` ≤ 256, `--comment` ≤ 1024 characters).
 */
export function buildSilence(o: Omit<SilenceAddOptions, 'silencesTopic' | keyof ConnectionOptions>, nowMs: number): { silence: Silence; value: Buffer } {
  if (o.matcher.length === 0) throw new ConfigError('BB_CONFIG_INVALID', '--matcher: give at least one (a silence of everything is refused)');
  for (const m of o.matcher) {
    try {
      parseMatcher(m);
    } catch (err) {
      if (isBusbarError(err)) throw new ConfigError('BB_CONFIG_INVALID', `--matcher: ${err.message}`, { cause: err });
      throw err;
    }
  }
  if ((o.duration === undefined) === (o.until === undefined)) throw new ConfigError('BB_CONFIG_INVALID', 'give one of --duration (e.g. 2h) or --until (an ISO 8601 date-time)');
  const startsAtMs = o.starts === undefined ? nowMs : instant('--starts', o.starts);
  const endsAtMs = o.until === undefined ? startsAtMs + parseDurationMs(o.duration!) : instant('--until', o.until);
  if (endsAtMs <= startsAtMs) throw new ConfigError('BB_CONFIG_INVALID', `--until ${o.until ?? ''}: the end (${new Date(endsAtMs).toISOString()}) is not after the start (${new Date(startsAtMs).toISOString()})`);
  if (endsAtMs <= nowMs) throw new ConfigError('BB_CONFIG_INVALID', `the end (${new Date(endsAtMs).toISOString()}) is already past: this silence would never apply`);
  const id = o.id ?? randomUUID();
  const value = encodeSilence({ id, matchers: o.matcher, startsAtMs, endsAtMs, createdBy: o.by, comment: o.comment });
  try {
    return { silence: decodeSilence(id, value), value };
  } catch (err) {
    if (isBusbarError(err)) throw new ConfigError('BB_CONFIG_INVALID', `the alerter would refuse this silence: ${err.message} (id = --id ≤ 128 characters, created_by = --by ≤ 256, comment = --comment ≤ 1024)`, { cause: err });
    throw err;
  }
}

/**
 * The record `busbar silence expire` writes: the same silence ending at `nowMs` (and, for one that
 * has not started yet, starting 1 ms before, as the record needs an end after its start).
 *
 * @returns `undefined` when the silence has expired already (nothing to write).
 */
export function expiredSilence(s: Silence, nowMs: number): Buffer | undefined {
  if (silenceStatus(s, nowMs) === 'expired') return undefined;
  return encodeSilence({ id: s.id, matchers: s.matchers, startsAtMs: Math.min(s.startsAtMs, nowMs - 1), endsAtMs: nowMs, createdBy: s.createdBy, comment: s.comment });
}

/**
 * A silence as `busbar silence list` prints it: one JSON object, times ISO 8601.
 *
 * @param nowMs - for its `status` (pending, active, expired).
 */
export function silenceLine(s: Silence, nowMs: number): string {
  return jsonLine({ id: s.id, status: silenceStatus(s, nowMs), matchers: s.matchers, starts_at: new Date(s.startsAtMs), ends_at: new Date(s.endsAtMs), created_by: s.createdBy, comment: s.comment });
}

function missingTopic(topic: string): string {
  return `busbar: the silences topic ${topic} does not exist or this principal may not see it: the alerter creates it at start when routing.silences is configured (give its routing.silences.topic with --silences-topic); with ACLs, the principal needs the issuer ACLs (busbar-topics acls --grant issuer=<principal>)`;
}

/** Reads the compacted silences topic to its end: id → silence (undecodable records skipped, as the alerter skips them). */
async function readSilences(conn: Connection, topic: string): Promise<Map<string, Silence>> {
  const table = new CompactedTable<Silence>({ kafka: conn.kafka, topic, decode: decodeSilence, timeoutMs: 30_000 });
  try {
    await table.start();
    return new Map(table.entries(0));
  } finally {
    await table.stop();
  }
}

/**
 * `busbar silence add`: validates ({@link buildSilence}), writes the record and prints its id.
 *
 * @returns 0 written; 1 the silences topic does not exist.
 * @throws {ConfigError} as {@link buildSilence} and `connect`; kafkajs errors when the cluster cannot be reached.
 */
export async function addSilence(o: SilenceAddOptions, io: CliIo): Promise<number> {
  const { silence, value } = buildSilence(o, Date.now());
  const conn = connect(o, io.env, 'busbar-cli');
  const producer = conn.kafka.producer();
  try {
    if (!(await topicExists(conn.kafka, o.silencesTopic))) {
      io.err(missingTopic(o.silencesTopic));
      return EXIT.failed;
    }
    await producer.connect();
    await producer.send({ topic: o.silencesTopic, acks: -1, messages: [{ key: silence.id, value }] });
    io.err(`busbar: silence ${silence.id} (${silence.matchers.join(', ')}) from ${new Date(silence.startsAtMs).toISOString()} until ${new Date(silence.endsAtMs).toISOString()} written to ${o.silencesTopic}`);
    io.out(silence.id);
    return EXIT.ok;
  } finally {
    await Promise.allSettled([producer.disconnect(), conn.framing.close()]);
  }
}

/**
 * `busbar silence list`: prints the silences, one JSON line each ({@link silenceLine}), by start:
 * pending and active ones, or all (expired too) with `all`.
 *
 * @returns 0; 1 the silences topic does not exist.
 * @throws {BusbarError} `BB_KAFKA_REPLAY_INCOMPLETE` when the topic cannot be read to its end in 30 s; kafkajs errors.
 */
export async function listSilences(o: SilenceTopicOptions & { readonly all: boolean }, io: CliIo): Promise<number> {
  const conn = connect(o, io.env, 'busbar-cli');
  try {
    if (!(await topicExists(conn.kafka, o.silencesTopic))) {
      io.err(missingTopic(o.silencesTopic));
      return EXIT.failed;
    }
    const now = Date.now();
    const silences = [...(await readSilences(conn, o.silencesTopic)).values()].filter((s) => o.all || silenceStatus(s, now) !== 'expired').sort((a, b) => a.startsAtMs - b.startsAtMs || a.id.localeCompare(b.id));
    for (const s of silences) io.out(silenceLine(s, now));
    return EXIT.ok;
  } finally {
    await conn.framing.close();
  }
}

/**
 * `busbar silence expire`: rewrites the silence with its end at now ({@link expiredSilence}).
 *
 * @returns 0 expired (or expired already: nothing written); 1 no such silence, or no silences topic.
 * @throws {BusbarError} `BB_KAFKA_REPLAY_INCOMPLETE` when the topic cannot be read to its end in 30 s; kafkajs errors.
 */
export async function expireSilence(id: string, o: SilenceTopicOptions, io: CliIo): Promise<number> {
  const conn = connect(o, io.env, 'busbar-cli');
  const producer = conn.kafka.producer();
  try {
    if (!(await topicExists(conn.kafka, o.silencesTopic))) {
      io.err(missingTopic(o.silencesTopic));
      return EXIT.failed;
    }
    const s = (await readSilences(conn, o.silencesTopic)).get(id);
    if (s === undefined) {
      io.err(`busbar: no silence ${id} on ${o.silencesTopic} (busbar silence list --all shows them)`);
      return EXIT.failed;
    }
    const now = Date.now();
    const value = expiredSilence(s, now);
    if (value === undefined) {
      io.err(`busbar: silence ${id} expired already at ${new Date(s.endsAtMs).toISOString()}: nothing written`);
      io.out(id);
      return EXIT.ok;
    }
    await producer.connect();
    await producer.send({ topic: o.silencesTopic, acks: -1, messages: [{ key: id, value }] });
    io.err(`busbar: silence ${id} expired at ${new Date(now).toISOString()} (record rewritten on ${o.silencesTopic})`);
    io.out(id);
    return EXIT.ok;
  } finally {
    await Promise.allSettled([producer.disconnect(), conn.framing.close()]);
  }
}
