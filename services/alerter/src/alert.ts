/**
 * From a rule transition to the `Alert` record (schemas: `busbar.alerts.v1`) and its id.
 */
import type { Alert } from '@busbar/avro';
import type { Transition } from './rules/transition.js';
import { alertId } from './rules/transition.js';

export { alertId } from './rules/transition.js';

/**
 * The Alert record of a transition (timestamp = the transition's time, message = one
 * human-readable line: `<SEVERITY>: <device> [channel n] <description> (rule <id>)`, or
 * `RESOLVED: …`). `signal` is the transition's (a reading's value name or a derived name such as
 * `staleness_s`); `value`/`threshold` are `null` for rules without one (device events).
 */
export function toAlert(t: Transition): Alert {
  const where = t.channel === null ? t.deviceId : `${t.deviceId} channel ${t.channel}`;
  const signal = t.signal ?? t.rule.id;
  const description = t.description ?? `${signal} = ${t.value ?? '-'}`;
  const message = t.state === 'FIRING' ? `${t.severity}: ${where} ${description} (rule ${t.rule.id})` : `RESOLVED: ${where} ${description} (rule ${t.rule.id})`;
  return { alert_id: alertId(t), rule: t.rule.id, device_id: t.deviceId, channel: t.channel, signal, severity: t.severity, state: t.state, value: t.value, threshold: t.threshold, timestamp: new Date(t.atMs), message };
}
