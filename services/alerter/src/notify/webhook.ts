/**
 * Pager hooks: POST the Alert as JSON to each configured URL, with the configured headers
 * (e.g. `Authorization: Bearer …`, `Authorization: GenieKey …` from a file). With a `template`
 * (Handlebars, `notify/template.ts`) the request body is the template rendered for the
 * notification's group — any JSON document a receiver wants (Slack incoming webhooks, Opsgenie
 * create-alert: `examples/alerter/*.hbs`); without one, Busbar's own payloads below.
 *
 * The URL and header values are secrets (Slack and PagerDuty put the token in the URL path):
 * errors name the hook by its redacted URL only (`https://hooks.example.com/…`, see
 * {@link redactWebhookUrl}) and never carry a header value.
 */
import type { Alert } from '@busbar/avro';
import { BusbarError } from '@busbar/core';
import type { AlertGroup } from './group.js';
import { groupStatus, singleAlertGroup } from './group.js';
import type { LabelSettings } from '../routing/labels.js';
import { groupRenderer } from './template.js';

/** One hook, its secrets resolved. */
export interface WebhookTarget {
  /** Where to POST (may carry a token in path or query). */
  readonly url: string;
  /** Extra request headers (values may be secrets); `content-type` is always `application/json`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Time allowed for the whole request, ms. */
  readonly timeoutMs: number;
  /**
   * Handlebars template of the request body (the configuration loader read `templateFile` and
   * checked that it renders JSON); absent: {@link postWebhook}'s / {@link postWebhookGroup}'s payload.
   */
  readonly template?: string | undefined;
  /** The context's per-alert link template (`{device}`, `{rule}`, `{signal}`, `{channel}`, `{alert_id}`). */
  readonly generatorUrl?: string | undefined;
  /** Label settings of the template's `labels` (`routing.labels`/`deviceLabels`; default none). */
  readonly labels?: LabelSettings | undefined;
  /** The channel name (`webhook-<name or n>`): the template context's `receiver`, and errors. */
  readonly channel?: string | undefined;
}

/** Renderers of the hooks with a template, compiled at their first use. */
const renderers = new WeakMap<WebhookTarget, (group: AlertGroup) => string>();

/** The body of `group` by the hook's template (compiled once per target object). */
function rendered(target: WebhookTarget & { readonly template: string }, group: AlertGroup): string {
  let render = renderers.get(target);
  if (render === undefined) {
    const channel = target.channel ?? 'webhook';
    render = groupRenderer(target.template, `${channel} (template)`, 'json', { receiver: channel, labels: target.labels, generatorUrl: target.generatorUrl });
    renderers.set(target, render);
  }
  return render(group);
}

const hasTemplate = (t: WebhookTarget): t is WebhookTarget & { readonly template: string } => t.template !== undefined;

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
 * POSTs `alert` to `target.url` as JSON, with `target.headers`: the Alert record's fields
 * (`timestamp` as ISO 8601), or with a `template` the template rendered for the alert as a group of one.
 *
 * @param target - the hook; a bare URL (then `timeoutMs` applies, no extra headers) is accepted too.
 * @param timeoutMs - only with a bare URL: time allowed for the request, ms (default 5000).
 * @throws {BusbarError} `BB_ALERTER_WEBHOOK_FAILED` on a non-2xx answer or a network error/timeout
 *   (retriable unless the answer is a 4xx other than 408 and 429: the request itself is refused, not
 *   retried); the message names the hook by its redacted URL. `BB_ALERTER_TEMPLATE_RENDER_FAILED`
 *   (not retriable: given up) when the template fails to render or does not render JSON; nothing is sent.
 */
export async function postWebhook(target: WebhookTarget | string, alert: Alert, timeoutMs = 5000): Promise<void> {
  const t = typeof target === 'string' ? { url: target, timeoutMs } : target;
  await post(t, webhookBody(t, alert));
}

/**
 * The request body {@link postWebhook} sends (pure): the template rendered for `alert` as a group of
 * one, or without a template the Alert record as JSON (`timestamp` as ISO 8601).
 *
 * @throws {BusbarError} `BB_ALERTER_TEMPLATE_RENDER_FAILED` (not retriable) when the template fails or does not render JSON.
 */
export function webhookBody(target: WebhookTarget, alert: Alert): string {
  return hasTemplate(target) ? rendered(target, singleAlertGroup(alert)) : JSON.stringify(alertJson(alert));
}

/** An Alert as the webhooks' JSON: its fields, `timestamp` as an ISO 8601 string. */
function alertJson(alert: Alert): Record<string, unknown> {
  return { ...alert, timestamp: alert.timestamp.toISOString() };
}

/**
 * POSTs a group of alerts (built-in `group_by`) to `target.url` as one JSON document, shaped like
 * Alertmanager's webhook payload: `{"version":"busbar/1","groupKey":"{rack=\"r3\"}","status":"firing"|"resolved",
 * "groupLabels":{…},"alerts":[<Alert as postWebhook sends it>, …]}`; with a `template`, the template rendered for the group.
 *
 * @throws {BusbarError} as {@link postWebhook}.
 */
export async function postWebhookGroup(target: WebhookTarget, group: AlertGroup): Promise<void> {
  await post(target, webhookGroupBody(target, group));
}

/**
 * The request body {@link postWebhookGroup} sends (pure): the template rendered for `group`, or
 * without a template Busbar's group payload.
 *
 * @throws {BusbarError} as {@link webhookBody}.
 */
export function webhookGroupBody(target: WebhookTarget, group: AlertGroup): string {
  if (hasTemplate(target)) return rendered(target, group);
  return JSON.stringify({ version: 'busbar/1', groupKey: group.key, status: groupStatus(group), groupLabels: group.groupLabels, alerts: group.alerts.map(alertJson) });
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
