/**
 * No-data (deadman) rules, pure: time comes from the draft's clock reading (the alerter's clock,
 * injected) — no timers here; the handler ticks the engine (`tick()`).
 *
 * A series (rule × device, or × device × channel with `perChannel`) is known from its first
 * reading that the rule sees (of any signal, or only readings carrying `signal`). When no such
 * reading has been received for `timeoutMs` (alerter's clock: receipt, not the device's timestamp,
 * so a device clock that is off or a log backfill does not matter), the series fires at the
 * deadline: signal `staleness_s`, value = threshold = the timeout in s. The next reading resolves
 * it (value = the silence, s). Episodes and alert ids as for thresholds; the FIRING's time is the
 * deadline (last receipt + timeout), so a tick repeated after a failed publish derives the same id.
 *
 * Restart safety (state records, `rule-state/record.ts`): a known series is written once as a
 * waiting record (at its first reading, and again when it resolves), a firing one as a firing
 * record. After a restart or a partition move, a restored waiting series counts its silence from
 * the load (its receipts before the restart are not written, to keep the state topic quiet): a
 * device silent across the restart fires `timeoutMs` after the load; a restored firing series does
 * not fire again and resolves at its next reading. A device that never sent a reading is unknown.
 */
import picomatch from 'picomatch';
import type { StoredSeries } from '../rule-state/record.js';
import { isFiring } from '../rule-state/record.js';
import type { EngineDraft, PartitionedTransition, RuleEngine, StateWrite } from './engine.js';
import { signalValue, writeOf } from './reading-rules.js';
import type { Severity } from './transition.js';
import { seriesKeyOf } from './transition.js';

/** A validated no-data rule. */
export interface NoDataRule {
  readonly id: string;
  /** Device id globs. */
  readonly devices: readonly string[];
  /** Only readings carrying this value count (`voltage_v`); absent: any reading of the device. */
  readonly signal?: string | undefined;
  /** One series per channel (`true`) or per device (`false`: any channel's reading counts). */
  readonly perChannel: boolean;
  /** Silence that fires, ms (> 0). */
  readonly timeoutMs: number;
  readonly severity: Severity;
}

interface SeriesState {
  partition: number;
  deviceId: string;
  channel: number | null;
  /** Last receipt, alerter's clock, ms; `undefined` for a restored firing series. */
  lastSeenMs: number | undefined;
  firing: boolean;
  episode: number;
  episodeStartMs: number;
}

/** A no-data rule as an engine on readings, with timers. */
export function noDataEngine(rule: NoDataRule): RuleEngine {
  const matches = picomatch([...rule.devices]);
  const series = new Map<string, SeriesState>();
  const timeoutS = rule.timeoutMs / 1000;
  const what = rule.signal === undefined ? 'no reading' : `no reading of ${rule.signal}`;
  return {
    rule,
    input: 'readings',
    timed: true,
    draft(nowMs): EngineDraft {
      const copies = new Map<string, SeriesState>();
      const transitions: PartitionedTransition[] = [];
      const writes: StateWrite[] = [];
      const stateOf = (key: string): SeriesState | undefined => {
        let st = copies.get(key);
        if (!st) {
          const base = series.get(key);
          if (!base) return undefined;
          copies.set(key, (st = { ...base }));
        }
        return st;
      };
      const emit = (st: SeriesState, key: string, state: 'FIRING' | 'RESOLVED', atMs: number, value: number | null, description: string): void => {
        const t: PartitionedTransition = { rule, deviceId: st.deviceId, channel: st.channel, state, severity: rule.severity, signal: 'staleness_s', value, threshold: timeoutS, description, atMs, seriesKey: key, episode: st.episode, episodeStartMs: st.episodeStartMs, partition: st.partition };
        transitions.push(t);
        writes.push(state === 'FIRING' ? writeOf(t) : { partition: st.partition, key, record: { rule: rule.id, deviceId: st.deviceId, channel: st.channel, waitingSinceMs: atMs } });
      };
      return {
        reading(r, partition) {
          if (!matches(r.device_id)) return;
          if (rule.signal !== undefined && signalValue(r, rule.signal) === undefined) return;
          const where = { deviceId: r.device_id, channel: rule.perChannel ? r.channel : null };
          const key = seriesKeyOf(rule, where);
          const st = stateOf(key);
          if (!st) {
            copies.set(key, { partition, ...where, lastSeenMs: nowMs, firing: false, episode: 0, episodeStartMs: 0 });
            writes.push({ partition, key, record: { rule: rule.id, ...where, waitingSinceMs: nowMs } });
            return;
          }
          st.partition = partition;
          if (st.firing) {
            st.firing = false;
            const silenceS = st.lastSeenMs === undefined ? null : (nowMs - st.lastSeenMs) / 1000;
            emit(st, key, 'RESOLVED', nowMs, silenceS, silenceS === null ? 'readings again' : `readings again after ${silenceS} s`);
          }
          st.lastSeenMs = nowMs;
        },
        event() {},
        tick() {
          for (const key of new Set([...series.keys(), ...copies.keys()])) {
            const st = stateOf(key)!;
            if (st.firing || st.lastSeenMs === undefined || nowMs < st.lastSeenMs + rule.timeoutMs) continue;
            const deadline = st.lastSeenMs + rule.timeoutMs;
            st.firing = true;
            st.episode++;
            st.episodeStartMs = deadline;
            emit(st, key, 'FIRING', deadline, timeoutS, `${what} for ${timeoutS} s`);
          }
        },
        transitions,
        writes,
        commit: () => {
          for (const [key, st] of copies) series.set(key, st);
          copies.clear();
        },
      };
    },
    restore(partition, records: readonly StoredSeries[], nowMs) {
      for (const r of records) {
        const key = seriesKeyOf(rule, r);
        if (isFiring(r)) series.set(key, { partition, deviceId: r.deviceId, channel: r.channel, lastSeenMs: undefined, firing: true, episode: r.episode, episodeStartMs: r.episodeStartMs });
        else series.set(key, { partition, deviceId: r.deviceId, channel: r.channel, lastSeenMs: Math.max(r.waitingSinceMs, nowMs), firing: false, episode: 0, episodeStartMs: 0 });
      }
    },
    clear: () => series.clear(),
  };
}
