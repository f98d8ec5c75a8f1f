/**
 * What every rule kind produces, pure: a transition of one series (rule × device × channel) and the
 * deterministic alert id of its episode. Threshold, rate-of-change, no-data and device-event rules
 * (`rules/*.ts`) all speak it; `alert.ts` turns it into the `Alert` record (`schemas/alert.avsc`).
 */
import { createHash } from 'node:crypto';

/** Severity of a bound or of a rule. */
export type Severity = 'WARNING' | 'CRITICAL';

/** What a transition needs of its rule. */
export interface RuleRef {
  /** Rule id (stable: it names alerts and metrics). */
  readonly id: string;
}

/** A state change to notify and publish. */
export interface Transition {
  readonly rule: RuleRef;
  readonly deviceId: string;
  /** 1-based channel, or `null` for a device-wide series. */
  readonly channel: number | null;
  readonly state: 'FIRING' | 'RESOLVED';
  readonly severity: Severity;
  /**
   * The signal of the alert: a reading's value name (`temperature_c`) or a derived name
   * (`temperature_c_per_min`, `staleness_s`, `disconnected_s`, `device_event`). Defaults to the
   * rule's `signal` for threshold rules.
   */
  readonly signal?: string;
  /** Value that caused the transition in the signal's unit; `null` when there is none (an event). */
  readonly value: number | null;
  /** The bound crossed (threshold when firing, `clear` when resolving), `null` when none. */
  readonly threshold: number | null;
  /**
   * One line saying what holds (`temperature_c = 95 > 80`, `no reading for 30 s`,
   * `DISCONNECTED for 30 s: connection lost`); the alert message is built around it.
   */
  readonly description?: string;
  /** When the transition happened, ms since epoch (the reading's or event's time, or a deadline). */
  readonly atMs: number;
  /** Series key: the same for a FIRING and its RESOLVED (`<rule>|<device>|<channel or empty>`). */
  readonly seriesKey: string;
  /** 1, 2, ...: increments each time the series fires anew from OK (restarts at 1 in a new process). */
  readonly episode: number;
  /**
   * Time that first fired this episode, ms since epoch: the same for the episode's FIRING,
   * escalation and RESOLVED; distinguishes episodes across restarts.
   */
  readonly episodeStartMs: number;
}

/** What is restored of a firing series after a restart or a partition move. */
export interface FiringSeries {
  readonly deviceId: string;
  readonly channel: number | null;
  /** The severity it fires at. */
  readonly severity: Severity;
  /** Its episode number (see {@link Transition.episode}). */
  readonly episode: number;
  /** Time that fired the episode, ms since epoch. */
  readonly episodeStartMs: number;
  /** Timer base a rule kind keeps while firing (device-event rules: the last matching event, for `quietMs`), ms since epoch. */
  readonly timerMs?: number | undefined;
}

/** The series key of a rule and a device channel: `<rule id>|<device id>|<channel or empty>`. */
export const seriesKeyOf = (rule: RuleRef, s: { readonly deviceId: string; readonly channel: number | null }): string => `${rule.id}|${s.deviceId}|${s.channel ?? ''}`;

/**
 * Deterministic alert id (UUID-shaped, from SHA-256) of one episode of one series: derived from
 * the series key, the episode number and the episode's start time, so the episode's FIRING,
 * escalation and RESOLVED share it, and an episode after a restart (episode numbers start at 1
 * again) gets a new id instead of an old incident's.
 */
export function alertId(t: Pick<Transition, 'seriesKey' | 'episode' | 'episodeStartMs'>): string {
  const h = createHash('sha256').update(`${t.seriesKey}#${t.episode}#${t.episodeStartMs}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
