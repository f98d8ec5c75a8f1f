/**
 * Fault-suite support: alert e-mails as episodes. The alerter's mail text carries `State:` and
 * `Alert id:` lines (services/alerter/src/notify/email.ts, `formatAlertMail`); one alert id is one
 * episode of one series. An episode is whole when it has exactly one FIRING and one RESOLVED mail;
 * a second FIRING of the same id, or a second id for the same breach, is a re-fire; a FIRING
 * without its RESOLVED is an orphan.
 */
import type { SinkMail } from '@busbar/testkit/shared';

/** The mails of one alert id. */
export interface EpisodeMails {
  readonly alertId: string;
  /** `Device:` line of the first mail. */
  readonly device: string;
  /** `Time:` line of the first FIRING mail (the reading that fired the episode), `undefined` without one. */
  firedAt: string | undefined;
  firing: number;
  resolved: number;
  /** Mail states in arrival order. */
  readonly order: string[];
}

/** What a mailbox says about the episodes it received. */
export interface EpisodeCount {
  /** Per alert id. */
  readonly episodes: Map<string, EpisodeMails>;
  /** Episodes with exactly one FIRING then one RESOLVED. */
  readonly whole: number;
  /** FIRING mails beyond the first of an id. */
  readonly refired: number;
  /** RESOLVED mails beyond the first of an id. */
  readonly resolvedTwice: number;
  /** Ids with a FIRING and no RESOLVED. */
  readonly orphaned: number;
  /** Ids whose first mail is not a FIRING (a RESOLVED for an alert never announced). */
  readonly unannounced: number;
}

/** Groups alert mails by alert id (mails without an alert id are ignored). */
export function countEpisodes(mails: readonly Pick<SinkMail, 'text'>[]): EpisodeCount {
  const episodes = new Map<string, EpisodeMails>();
  for (const m of mails) {
    const text = m.text ?? '';
    const id = /^Alert id:\s+(\S+)/m.exec(text)?.[1];
    const state = /^State:\s+(\S+)/m.exec(text)?.[1];
    if (id === undefined || state === undefined) continue;
    let e = episodes.get(id);
    if (e === undefined) episodes.set(id, (e = { alertId: id, device: /^Device:\s+(\S+)/m.exec(text)?.[1] ?? '?', firedAt: undefined, firing: 0, resolved: 0, order: [] }));
    if (state === 'FIRING' && e.firedAt === undefined) e.firedAt = /^Time:\s+(\S+)/m.exec(text)?.[1];
    if (state === 'FIRING') e.firing++;
    else if (state === 'RESOLVED') e.resolved++;
    e.order.push(state);
  }
  const all = [...episodes.values()];
  return {
    episodes,
    whole: all.filter((e) => e.firing === 1 && e.resolved === 1 && e.order[0] === 'FIRING').length,
    refired: all.reduce((n, e) => n + Math.max(0, e.firing - 1), 0),
    resolvedTwice: all.reduce((n, e) => n + Math.max(0, e.resolved - 1), 0),
    orphaned: all.filter((e) => e.firing > 0 && e.resolved === 0).length,
    unannounced: all.filter((e) => e.order[0] !== 'FIRING').length,
  };
}
