/**
 * The label set of an alert, pure — shared by the Alertmanager receiver and the alerter's own
 * silences so a matcher means the same in both: `alertname` (the rule id), `rule`, `device`,
 * `channel` (when the rule has one), `signal`, `severity` (`warning`/`critical`), `alert_id`, after
 * the configured static labels and the labels of the first device glob that matches (the record's
 * own labels win a name clash).
 */
import picomatch from 'picomatch';
import type { Alert } from '@busbar/avro';

/** Labels of alerts: static ones and device id glob → labels (first match wins). */
export interface LabelSettings {
  readonly labels: Readonly<Record<string, string>>;
  readonly deviceLabels: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * Compiles the device globs once and returns the labelling function.
 *
 * @param settings - static and device labels.
 * @returns alert → its label set.
 */
export function alertLabeler(settings: LabelSettings): (alert: Alert) => Record<string, string> {
  const matchers = Object.entries(settings.deviceLabels).map(([glob, labels]) => [picomatch(glob), labels] as const);
  return (alert) => ({
    ...settings.labels,
    ...(matchers.find(([m]) => m(alert.device_id))?.[1] ?? {}),
    alertname: alert.rule,
    rule: alert.rule,
    device: alert.device_id,
    ...(alert.channel === null ? {} : { channel: String(alert.channel) }),
    signal: alert.signal,
    severity: alert.severity.toLowerCase(),
    alert_id: alert.alert_id,
  });
}
