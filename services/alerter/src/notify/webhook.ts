/**
 * Pager hooks: POST the Alert as JSON to each configured URL, with the configured headers
 * (e.g. `Authorization: Bearer …`).
 *
 * The URL and header values are secrets (Slack and PagerDuty put the token in the URL path):
 * errors name the hook by its redacted URL only (`https://hooks.example.com/…`, see
 * {@link redactWebhookUrl}) and never carry a header value.
 */
import type { Alert } from '@busbar/avro';
import { BusbarError } from '@busbar/core';
import type { AlertGroup } from './group.js';
import { groupStatus } from './group.js';

/** One hook, its secrets resolved. */
export interface WebhookTarget {
  /** Where to POST (may carry a token in path or query). */
  readonly url: string;
  /** Extra request headers (values may be secrets); `content-type` is always `application/json`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Time allowed for the whole request, ms. */
  readonly timeoutMs: number;
}

/**
 * The URL as it may be shown: scheme, host and port, then `/…` when anything followed
 * (`https://hooks.slack.com/services/T/B/x` → `https://hooks.slack.com/…`; credentials dropped).
 *
 * @returns the redacted URL, or `<invalid URL>` when `url` does not parse.
 */
export function redactWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    const rest = `${u.pathname === '/' ? '' : u.pathname}${u.search}${u.hash}`;
    return `${u.protocol}//${u.host}${rest === '' && u.username === '' ? '' : '/…'}`;
  } catch {
    return '<invalid URL>';
  }
}

/**
 * POSTs `alert` to `target.url` as JSON, with `target.headers`.
 *
 * @param target - the hook; a bare URL (then `timeoutMs` applies, no extra headers) is accepted too.
 * @param timeoutMs - only with a bare URL: time allowed for the request, ms (default 5000).
 * @throws {BusbarError} `BB_ALERTER_WEBHOOK_FAILED` on a non-2xx answer or a network error/timeout
 *   (retriable unless the answer is a 4xx other than 408 and 429: the request itself is refused, not
 *   retried); the message names the hook by its redacted URL.
 */
export async function postWebhook(target: WebhookTarget | string, alert: Alert, timeoutMs = 5000): Promise<void> {
  await post(typeof target === 'string' ? { url: target, timeoutMs } : target, JSON.stringify(alertJson(alert)));
}

/** An Alert as the webhooks' JSON: its fields, `timestamp` as an ISO 8601 string. */
function alertJson(alert: Alert): Record<string, unknown> {
  return { ...alert, timestamp: alert.timestamp.toISOString() };
}

/**
 * POSTs a group of alerts (built-in `group_by`) to `target.url` as one JSON document, shaped like
 * Alertmanager's webhook payload: `{"version":"busbar/1","groupKey":"{rack=\"r3\"}","status":"firing"|"resolved",
 * "groupLabels":{…},"alerts":[<Alert as postWebhook sends it>, …]}`.
 *
 * @throws {BusbarError} as {@link postWebhook}.
 */
export async function postWebhookGroup(target: WebhookTarget, group: AlertGroup): Promise<void> {
  await post(target, JSON.stringify({ version: 'busbar/1', groupKey: group.key, status: groupStatus(group), groupLabels: group.groupLabels, alerts: group.alerts.map(alertJson) }));
}

async function post(target: WebhookTarget, body: string): Promise<void> {
  const where = redactWebhookUrl(target.url);
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: { ...target.headers, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(target.timeoutMs),
      redirect: 'error', // a redirect would carry the secret headers and the alert elsewhere
    });
  } catch (cause) {
    const err = cause as Error & { cause?: { code?: unknown } };
    const detail = typeof err.cause?.code === 'string' ? `${err.message} (${err.cause.code})` : err.message;
    throw new BusbarError('BB_ALERTER_WEBHOOK_FAILED', `webhook ${where}: ${detail}`, { retriable: true, context: { webhook: where } });
  }
  await res.body?.cancel().catch(() => undefined);
  if (!res.ok) throw new BusbarError('BB_ALERTER_WEBHOOK_FAILED', `webhook ${where} answered HTTP ${res.status}`, { retriable: res.status >= 500 || res.status === 408 || res.status === 429, context: { webhook: where, status: res.status } });
}
