/**
 * PagerDuty receiver: Events API v2 (`POST https://events.pagerduty.com/v2/enqueue`; PagerDuty
 * developer documentation, "Events API v2 Overview" and "Send an Alert Event").
 *
 * Event shape (what is sent):
 *   routing_key   the integration key (32 characters), read from `routingKeyFile` at start (config.ts `resolveAlerterSecrets`)
 *   event_action  `trigger` (FIRING, also an escalation), `acknowledge` (ACKNOWLEDGED: someone took the
 *                 episode on; PagerDuty stops escalating the incident), `resolve` (RESOLVED)
 *   dedup_key     the Alert's `alert_id` (one per episode): the resolve reuses the trigger's key,
 *                 an escalation's trigger lands on the same PagerDuty alert (max 255 characters)
 *   payload       on trigger only:
 *     summary        the Alert's message, cut to 1024 characters (the documented maximum)
 *     source         the device id
 *     severity       critical | error | warning | info (mapped from WARNING/CRITICAL by configuration)
 *     timestamp      the transition's time, ISO 8601
 *     component      the signal (`temperature_c`), with the channel when there is one (`channel 3 temperature_c`)
 *     group          the device's group (configured by device glob, e.g. its rack), when known
 *     class          the rule id
 *     custom_details rule, device_id, channel, signal, severity, value, threshold, alert_id
 *   client, client_url  `Busbar` and the link to the Grafana panel when configured (trigger only)
 *
 * Answers (same document, "Response codes & retry logic"): 202 accepted; 400 invalid event —
 * permanent (`BB_ALERTER_NOTIFY_REJECTED`, counted, not retried); 429 too many requests and 5xx —
 * retried from the dispatcher with its backoff (`BB_ALERTER_PAGERDUTY_FAILED`); any other answer,
 * a network error or a timeout is retried too.
 */
import picomatch from 'picomatch';
import type { Alert } from '@busbar/avro';
import { BusbarError } from '@busbar/core';
import type { Notifier } from './dispatcher.js';

/** PagerDuty's Events API v2 endpoint. */
export const DEFAULT_PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';

/** Longest `payload.summary` the Events API v2 takes, characters. */
export const PAGERDUTY_SUMMARY_MAX = 1024;

/** PagerDuty severities (Events API v2 `payload.severity`). */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/** One receiver's settings (config `pagerduty[]`, with the routing key read from its file). */
export interface PagerDutyTarget {
  /** The integration's routing key. */
  readonly routingKey: string;
  /** Events API URL (default {@link DEFAULT_PAGERDUTY_URL}). */
  readonly url: string;
  /** Busbar severity → PagerDuty severity. */
  readonly severity: Readonly<Record<'WARNING' | 'CRITICAL', PagerDutySeverity>>;
  /** Device id glob → `payload.group`, first match wins. */
  readonly deviceGroups: Readonly<Record<string, string>>;
  /** `client_url` template (`{device}`, `{rule}`, `{signal}`, `{channel}`, `{alert_id}` replaced, URL-encoded). */
  readonly clientUrl?: string | undefined;
  /** Time allowed for one POST, ms. */
  readonly timeoutMs: number;
}

/** An Events API v2 event as sent (see the file header). */
export interface PagerDutyEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger' | 'acknowledge' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: PagerDutySeverity;
    readonly timestamp: string;
    readonly component: string;
    readonly group?: string;
    readonly class: string;
    readonly custom_details: Record<string, string | number | null>;
  };
  readonly client?: string;
  readonly client_url?: string;
}

function fill(template: string, alert: Alert): string {
  const values: Record<string, string> = { device: alert.device_id, rule: alert.rule, signal: alert.signal, channel: alert.channel === null ? '' : String(alert.channel), alert_id: alert.alert_id };
  return template.replace(/\{(device|rule|signal|channel|alert_id)\}/g, (_, k: string) => encodeURIComponent(values[k] ?? ''));
}

/**
 * Builds the Events API v2 event of one Alert record (pure): `trigger` with a payload for FIRING,
 * `acknowledge` for ACKNOWLEDGED and `resolve` for RESOLVED (no payload); `dedup_key` = `alert_id` in all.
 *
 * @param alert - the Alert record (schemas/alert.avsc).
 * @param target - routing key, severity map, device groups, client URL template.
 * @param groupOf - device id → group (compiled from `target.deviceGroups`); defaults to compiling them here.
 */
export function toPagerDutyEvent(alert: Alert, target: PagerDutyTarget, groupOf: (deviceId: string) => string | undefined = compileGroups(target.deviceGroups)): PagerDutyEvent {
  const base = { routing_key: target.routingKey, dedup_key: alert.alert_id };
  if (alert.state === 'RESOLVED') return { ...base, event_action: 'resolve' };
  if (alert.state === 'ACKNOWLEDGED') return { ...base, event_action: 'acknowledge' };
  const summary = alert.message.length > PAGERDUTY_SUMMARY_MAX ? `${alert.message.slice(0, PAGERDUTY_SUMMARY_MAX - 1)}…` : alert.message;
  const group = groupOf(alert.device_id);
  return {
    ...base,
    event_action: 'trigger',
    payload: {
      summary,
      source: alert.device_id,
      severity: target.severity[alert.severity],
      timestamp: alert.timestamp.toISOString(),
      component: alert.channel === null ? alert.signal : `channel ${alert.channel} ${alert.signal}`,
      ...(group === undefined ? {} : { group }),
      class: alert.rule,
      custom_details: { rule: alert.rule, device_id: alert.device_id, channel: alert.channel, signal: alert.signal, severity: alert.severity, value: alert.value, threshold: alert.threshold, alert_id: alert.alert_id },
    },
    client: 'Busbar',
    ...(target.clientUrl === undefined ? {} : { client_url: fill(target.clientUrl, alert) }),
  };
}

function compileGroups(groups: Readonly<Record<string, string>>): (deviceId: string) => string | undefined {
  const matchers = Object.entries(groups).map(([glob, group]) => [picomatch(glob), group] as const);
  return (id) => matchers.find(([m]) => m(id))?.[1];
}

/**
 * POSTs one event to the Events API.
 *
 * @throws {BusbarError} `BB_ALERTER_NOTIFY_REJECTED` (not retriable) on HTTP 400;
 *   `BB_ALERTER_PAGERDUTY_FAILED` (retriable) on 429, 5xx, another non-2xx answer, a network error or a timeout.
 */
export async function postPagerDutyEvent(url: string, event: PagerDutyEvent, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event), signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    throw new BusbarError('BB_ALERTER_PAGERDUTY_FAILED', `PagerDuty ${url}: ${(cause as Error).message}`, { cause, retriable: true, context: { url } });
  }
  if (res.ok) return;
  const body = (await res.text().catch(() => '')).slice(0, 300);
  if (res.status === 400) {
    throw new BusbarError('BB_ALERTER_NOTIFY_REJECTED', `PagerDuty ${url} refused the ${event.event_action} event (HTTP 400): ${body}`, { retriable: false, context: { url, status: 400, dedupKey: event.dedup_key } });
  }
  throw new BusbarError('BB_ALERTER_PAGERDUTY_FAILED', `PagerDuty ${url} answered HTTP ${res.status}: ${body}`, { retriable: true, context: { url, status: res.status } });
}

/**
 * A {@link Notifier} for one PagerDuty integration (channel `pagerduty-<n>`).
 *
 * @param channel - the dispatcher channel name.
 * @param target - see {@link PagerDutyTarget}.
 */
export function pagerDutyNotifier(channel: string, target: PagerDutyTarget): Notifier {
  const groupOf = compileGroups(target.deviceGroups);
  return { channel, states: ['FIRING', 'ACKNOWLEDGED', 'RESOLVED'], send: (alert) => postPagerDutyEvent(target.url, toPagerDutyEvent(alert, target, groupOf), target.timeoutMs) };
}
