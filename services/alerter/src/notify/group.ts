/**
 * A notification of several alerts at once, pure: what a grouped channel sends (built-in routing's
 * `group_by`, Alertmanager's vocabulary) — the group's firing alerts and those resolved since its
 * last notification. A single alert is a group of one ({@link singleAlertGroup}), so a channel that
 * renders groups renders every notification the same way.
 */
import type { Alert } from '@busbar/avro';

/** One grouped notification. */
export interface AlertGroup {
  /**
   * Identifies the group across notifications: the `group_by` labels and their values in label-name
   * order, `{rack="r3",rule="cell-temp"}` (Alertmanager's group key without the route path); for a
   * single alert, `{alert_id="<id>"}`.
   */
  readonly key: string;
  /** The `group_by` labels and their values (for a single alert: `alert_id`). */
  readonly groupLabels: Readonly<Record<string, string>>;
  /**
   * The alerts notified, each in its latest state (FIRING, or RESOLVED since the group's last
   * notification), in the order they entered the group. Never empty.
   */
  readonly alerts: readonly Alert[];
}

/** `firing` when any alert of the group fires, `resolved` when all are resolved (Alertmanager's `status`). */
export function groupStatus(group: AlertGroup): 'firing' | 'resolved' {
  return group.alerts.some((a) => a.state !== 'RESOLVED') ? 'firing' : 'resolved';
}

/**
 * The group key of `labels` (the `group_by` label names given, missing ones as empty values):
 * `{a="1",b="x"}`, names sorted, values JSON-quoted.
 */
export function groupKeyOf(groupLabels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(groupLabels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(groupLabels[k])}`)
    .join(',')}}`;
}

/** The group of one alert: key `{alert_id="<id>"}`. */
export function singleAlertGroup(alert: Alert): AlertGroup {
  const groupLabels = { alert_id: alert.alert_id };
  return { key: groupKeyOf(groupLabels), groupLabels, alerts: [alert] };
}
