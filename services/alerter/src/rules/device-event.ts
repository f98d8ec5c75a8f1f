/**
 * Rules on device events (`busbar.device-events.v1`, `schemas/device-event.avsc`), pure: time comes
 * from the events and from the draft's clock reading (the alerter's clock, injected); the handler
 * ticks the engine for the timers.
 *
 * A rule names the events that start its condition (`fire`) and those that end it (`clear`), as
 * matchers on the event's kind, state, previous state, error code and details; a series is one
 * device (or one device channel with `perChannel`):
 *
 *   OK ──fire event──▶ PENDING ──(no clear event for `forMs`)──▶ FIRING ──clear event, or no fire event for `quietMs`──▶ OK
 *
 * - `forMs` 0: the fire event fires at once (time: the event's); otherwise the series fires at the
 *   deadline (the first fire event + `forMs`), by a tick or by a later event past it; a clear event
 *   before it cancels (e.g. DISCONNECTED for longer than 30 s: a reconnection within 30 s sends no mail);
 * - hysteresis is the pair of matchers: only a clear event resolves (e.g. Arbin `fault-cleared`);
 *   `quietMs` resolves a series whose fire events stop coming (for faults no protocol clears,
 *   such as a Corus clock set-back);
 * - while firing, further fire events send nothing (they restart the quiet time);
 * - episodes and alert ids as for thresholds; a timer transition's time is its deadline, so a tick
 *   repeated after a failed publish derives the same id.
 *
 * Examples (config): disconnected for 30 s = `{ type: disconnect, forMs: 30000 }` (fire
 * DISCONNECTED, clear CONNECTED, per device); a cycler channel fault = fire `kinds: [FAULT]`, clear
 * `kinds: [STATE_CHANGE], details: { transition: [fault-cleared] }`, per channel; the safety rig in
 * a safe state = fire `kinds: [STATE_CHANGE], states: [safe]`, clear `states: [normal, warning]`,
 * per device (the rig's transitions carry the BMU node as channel).
 *
 * Restart safety: a pending series is written as a waiting record (since = its first fire event),
 * a firing one as a firing record (with the quiet time's base); a DISCONNECTED whose 30 s end while
 * no alerter runs fires at the first tick after the load, at its original deadline.
 */
import picomatch from 'picomatch';
import type { DeviceEvent } from '@busbar/avro';
import type { StoredSeries } from '../rule-state/record.js';
import { isFiring } from '../rule-state/record.js';
import type { EngineDraft, PartitionedTransition, RuleEngine, StateWrite } from './engine.js';
import { writeOf } from './reading-rules.js';
import type { Severity } from './transition.js';
import { alertId, seriesKeyOf } from './transition.js';

/** Kinds of device events (`DeviceEventKind`). */
export type DeviceEventKind = DeviceEvent['kind'];

/** Which events match: every condition given must hold; globs on text, one of which must match. */
export interface EventMatch {
  readonly kinds?: readonly DeviceEventKind[] | undefined;
  /** Globs on `state` (an event without one does not match). */
  readonly states?: readonly string[] | undefined;
  /** Globs on `previous_state`. */
  readonly previousStates?: readonly string[] | undefined;
  /** Globs on `error_code` (`BB_MODBUS_*`). */
  readonly errorCodes?: readonly string[] | undefined;
  /** Globs per `details` entry (`{ transition: ['fault-cleared'] }`). */
  readonly details?: Readonly<Record<string, readonly string[]>> | undefined;
}

/** A validated device-event rule. */
export interface DeviceEventRule {
  readonly id: string;
  /** Device id globs. */
  readonly devices: readonly string[];
  /** Signal named in its alerts (`disconnected_s`, `device_event`); value = seconds the condition held. */
  readonly signal: string;
  readonly severity: Severity;
  /** One series per channel of the event (`true`) or per device (`false`). */
  readonly perChannel: boolean;
  readonly fire: EventMatch;
  readonly clear?: EventMatch | undefined;
  /** How long the condition must hold before it fires, ms (0 = at the fire event). */
  readonly forMs: number;
  /** Resolve after this long without a fire event, ms (absent: only a clear event resolves). */
  readonly quietMs?: number | undefined;
}

/** Compiles a matcher into a predicate. */
export function compileEventMatch(m: EventMatch): (e: DeviceEvent) => boolean {
  const glob = (globs: readonly string[] | undefined): ((v: string | null | undefined) => boolean) | undefined => {
    if (globs === undefined) return undefined;
    const is = picomatch([...globs]);
    return (v) => v !== null && v !== undefined && is(v);
  };
  const kinds = m.kinds ? new Set(m.kinds) : undefined;
  const state = glob(m.states);
  const previous = glob(m.previousStates);
  const code = glob(m.errorCodes);
  const details = Object.entries(m.details ?? {}).map(([k, g]) => ({ k, is: glob(g)! }));
  return (e) => (!kinds || kinds.has(e.kind)) && (!state || state(e.state)) && (!previous || previous(e.previous_state)) && (!code || code(e.error_code)) && details.every(({ k, is }) => is(e.details[k]));
}

/** One line for an event: `DISCONNECTED: connection lost (BB_MODBUS_CONNECTION)`, `STATE_CHANGE normal → safe: …`. */
export function eventText(e: DeviceEvent): string {
  const state = e.state === null ? '' : e.previous_state === null ? ` ${e.state}` : ` ${e.previous_state} → ${e.state}`;
  return `${e.kind}${state}${e.reason === null ? '' : `: ${e.reason}`}${e.error_code === null ? '' : ` (${e.error_code})`}`;
}

interface SeriesState {
  partition: number;
  deviceId: string;
  channel: number | null;
  /** Start of the condition (first fire event), ms; `undefined` when unknown (restored firing without it). */
  sinceMs: number | undefined;
  /** The event that started the condition, as text (for the FIRING message). */
  cause: string;
  firing: boolean;
  /** Last fire event while firing (base of `quietMs`), ms. */
  lastMatchMs: number;
  episode: number;
  episodeStartMs: number;
}

/** A device-event rule as an engine on the device-events topic, with timers. */
export function deviceEventEngine(rule: DeviceEventRule): RuleEngine {
  const matches = picomatch([...rule.devices]);
  const fires = compileEventMatch(rule.fire);
  const clears = rule.clear ? compileEventMatch(rule.clear) : () => false;
  const series = new Map<string, SeriesState>();
  const forS = rule.forMs / 1000;
  return {
    rule,
    input: 'events',
    timed: rule.forMs > 0 || rule.quietMs !== undefined,
    draft(nowMs): EngineDraft {
      const copies = new Map<string, SeriesState | undefined>();
      const transitions: PartitionedTransition[] = [];
      const writes: StateWrite[] = [];
      const stateOf = (key: string): SeriesState | undefined => {
        if (copies.has(key)) return copies.get(key);
        const base = series.get(key);
        const st = base ? { ...base } : undefined;
        copies.set(key, st);
        return st;
      };
      const heldS = (st: SeriesState, atMs: number): number | null => (st.sinceMs === undefined ? null : (atMs - st.sinceMs) / 1000);
      const fire = (st: SeriesState, key: string, atMs: number): void => {
        st.firing = true;
        st.episode++;
        st.episodeStartMs = atMs;
        st.lastMatchMs = atMs;
        const t: PartitionedTransition = { rule, deviceId: st.deviceId, channel: st.channel, state: 'FIRING', severity: rule.severity, signal: rule.signal, value: heldS(st, atMs), threshold: rule.forMs > 0 ? forS : null, description: rule.forMs > 0 ? `${st.cause}, for ${forS} s` : st.cause, atMs, seriesKey: key, episode: st.episode, episodeStartMs: st.episodeStartMs, partition: st.partition };
        transitions.push(t);
        writes.push(writeOf(t, rule.quietMs !== undefined ? st.lastMatchMs : st.sinceMs));
      };
      const resolve = (st: SeriesState, key: string, atMs: number, why: string): void => {
        const t: PartitionedTransition = { rule, deviceId: st.deviceId, channel: st.channel, state: 'RESOLVED', severity: rule.severity, signal: rule.signal, value: heldS(st, atMs), threshold: rule.forMs > 0 ? forS : null, description: why, atMs, seriesKey: key, episode: st.episode, episodeStartMs: st.episodeStartMs, partition: st.partition };
        transitions.push(t);
        writes.push(writeOf(t));
        copies.set(key, undefined);
      };
      const due = (st: SeriesState, atMs: number, key: string): void => {
        if (!st.firing && st.sinceMs !== undefined && atMs >= st.sinceMs + rule.forMs) fire(st, key, st.sinceMs + rule.forMs);
        else if (st.firing && rule.quietMs !== undefined && atMs >= st.lastMatchMs + rule.quietMs) resolve(st, key, st.lastMatchMs + rule.quietMs, `no matching event for ${rule.quietMs / 1000} s`);
      };
      return {
        reading() {},
        event(e, partition) {
          if (!matches(e.device_id)) return;
          const isFire = fires(e);
          if (!isFire && !clears(e)) return;
          const where = { deviceId: e.device_id, channel: rule.perChannel ? e.channel : null };
          const key = seriesKeyOf(rule, where);
          const atMs = e.timestamp.getTime();
          let st = stateOf(key);
          if (st) {
            st.partition = partition;
            due(st, atMs, key); // a deadline passed before this event (no tick came between)
            st = stateOf(key);
          }
          if (isFire) {
            if (st?.firing) {
              st.lastMatchMs = Math.max(st.lastMatchMs, atMs);
              // the quiet time restarts: written so that a restart keeps counting from this event
              if (rule.quietMs !== undefined) writes.push({ partition, key, record: { rule: rule.id, deviceId: st.deviceId, channel: st.channel, severity: rule.severity, episode: st.episode, episodeStartMs: st.episodeStartMs, alertId: alertId({ seriesKey: key, episode: st.episode, episodeStartMs: st.episodeStartMs }), updatedMs: atMs, timerMs: st.lastMatchMs } });
              return;
            }
            if (st) return; // pending: the condition keeps its start
            const fresh: SeriesState = { partition, ...where, sinceMs: atMs, cause: eventText(e), firing: false, lastMatchMs: atMs, episode: series.get(key)?.episode ?? 0, episodeStartMs: 0 };
            copies.set(key, fresh);
            if (rule.forMs === 0) fire(fresh, key, atMs);
            else writes.push({ partition, key, record: { rule: rule.id, ...where, waitingSinceMs: atMs } });
            return;
          }
          // a clear event
          if (!st) return;
          if (st.firing) resolve(st, key, atMs, eventText(e));
          else {
            copies.set(key, undefined); // cancelled before it fired
            writes.push({ partition, key, record: null });
          }
        },
        tick() {
          for (const key of new Set([...series.keys(), ...copies.keys()])) {
            const st = stateOf(key);
            if (st) due(st, nowMs, key);
          }
        },
        transitions,
        writes,
        commit: () => {
          for (const [key, st] of copies) {
            if (st) series.set(key, st);
            else series.delete(key);
          }
          copies.clear();
        },
      };
    },
    restore(partition, records: readonly StoredSeries[]) {
      for (const r of records) {
        const key = seriesKeyOf(rule, r);
        const base = { partition, deviceId: r.deviceId, channel: r.channel };
        if (isFiring(r)) {
          const timer = r.timerMs ?? r.episodeStartMs;
          series.set(key, { ...base, sinceMs: rule.quietMs !== undefined ? undefined : r.timerMs, cause: 'restored', firing: true, lastMatchMs: timer, episode: r.episode, episodeStartMs: r.episodeStartMs });
        } else {
          series.set(key, { ...base, sinceMs: r.waitingSinceMs, cause: `condition since ${new Date(r.waitingSinceMs).toISOString()}`, firing: false, lastMatchMs: r.waitingSinceMs, episode: 0, episodeStartMs: 0 });
        }
      }
    },
    clear: () => series.clear(),
  };
}
