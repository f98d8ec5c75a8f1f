/**
 * From a rule transition to the `Alert` record (schemas: `busbar.alerts.v1`) and its id.
 */
import { createHash } from 'node:crypto';
import type { Alert } from '@busbar/avro';
import type { Transition } from './rules/threshold.js';

/**
 * Deterministic alert id (UUID-shaped, from SHA-256) of one episode of one series: derived from
 * the series key, the episode number and the episode's start time (the timestamp of the reading
 * that first fired it), so the episode's FIRING, escalation and RESOLVED share it, and an episode
 * after a restart (episode numbers start at 1 again) gets a new id instead of an old incident's.
 */
export function alertId(t: Transition): string {
  const h = createHash('sha256').update(`${t.seriesKey}#${t.episode}#${t.episodeStartMs}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The Alert record of a transition (timestamp = the reading's, message = one human-readable line). */
export function toAlert(t: Transition): Alert {
  const where = t.channel === null ? t.deviceId : `${t.deviceId} channel ${t.channel}`;
  const cmp = t.rule.direction === 'above' ? (t.state === 'FIRING' ? '>' : '<') : t.state === 'FIRING' ? '<' : '>';
  const message = t.state === 'FIRING'
    ? `${t.severity}: ${where} ${t.rule.signal} = ${t.value} ${cmp} ${t.threshold} (rule ${t.rule.id})`
    : `RESOLVED: ${where} ${t.rule.signal} = ${t.value} ${cmp} clear bound ${t.threshold} (rule ${t.rule.id})`;
  return { alert_id: alertId(t), rule: t.rule.id, device_id: t.deviceId, channel: t.channel, signal: t.rule.signal, severity: t.severity, state: t.state, value: t.value, threshold: t.threshold, timestamp: new Date(t.atMs), message };
}
