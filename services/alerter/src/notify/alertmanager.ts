/**
 * Alertmanager receiver: pushes alerts to a Prometheus Alertmanager through its API v2
 * (`POST /api/v2/alerts`, a JSON array of `postableAlert`: `labels`, `annotations`, `startsAt`,
 * `endsAt`, `generatorURL` — Alertmanager's OpenAPI spec `api/v2/openapi.yaml`, 0.25).
 *
 * How Alertmanager treats what it receives (its documentation, "Clients"; the same contract
 * Prometheus follows): an alert is identified by its label set; a firing alert must be sent again
 * while it fires, otherwise Alertmanager resolves it by itself once its `endsAt` (or, without one,
 * `resolve_timeout`, default 5 min) passed; a resolved alert is sent with `endsAt` at the time it
 * resolved. So a firing alert carries `endsAt = now + 4 × resend interval` (as Prometheus does) and the
 * dispatcher sends it again every resend interval (default 60 s) until its RESOLVED was delivered: three
 * lost re-sends in a row are tolerated before Alertmanager resolves it by itself.
 *
 * Labels: `alertname` (the rule id), `rule`, `device`, `channel` (when the rule has one), `signal`,
 * `severity` (`warning`/`critical`), `alert_id` (the episode: a new episode is a new Alertmanager
 * alert), the receiver's static labels and the labels of the first `deviceLabels` glob that
 * matches the device (e.g. `rack`, for `group_by: [rack]`). An escalated episode (WARNING then
 * CRITICAL) has two label sets; the CRITICAL one is sent with the WARNING one resolved beside it.
 *
 * Acknowledgement: an ACKNOWLEDGED record creates a silence (`POST /api/v2/silences`) matching the
 * episode's `alert_id` for `ackSilenceMs` (default 24 h), so Alertmanager stops repeating its
 * notifications (`repeat_interval`) for that episode; the alert itself stays firing in Alertmanager
 * (the re-sends go on) until it resolves.
 *
 * Answers: 200 is delivered; 400 (Alertmanager refused the alerts as invalid) is permanent
 * (`BB_ALERTER_NOTIFY_REJECTED`: counted, not retried); 5xx, 429, a network error or a timeout are
 * retried from the dispatcher (`BB_ALERTER_ALERTMANAGER_FAILED`).
 */
import type { Alert } from '@busbar/avro';
import { BusbarError } from '@busbar/core';
import type { Notifier } from './dispatcher.js';
import { alertLabeler } from '../routing/labels.js';
import { generatorUrlOf } from './template.js';

/** Default interval of re-sends of a firing alert, ms (1 min; Alertmanager's `resolve_timeout` defaults to 5 min). */
export const DEFAULT_ALERTMANAGER_RESEND_MS = 60_000;

/** Default length of the silence an acknowledgement creates, ms (24 h). */
export const DEFAULT_ACK_SILENCE_MS = 24 * 3_600_000;

/** One receiver's settings (config `alertmanagers[]`). */
export interface AlertmanagerTarget {
  /** Base URL of the Alertmanager (`http://am-1:9093`); `/api/v2/alerts` is appended. */
  readonly url: string;
  /** Labels added to every alert (`{ lab: 'b2' }`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Device id glob → labels (`{ 'psu-r1-*': { rack: 'r1' } }`); the first matching glob in order wins. */
  readonly deviceLabels: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Link to the Grafana panel of the alert (`generatorURL`): a URL template where `{device}`,
   * `{rule}`, `{signal}`, `{channel}`, `{alert_id}` are replaced (URL-encoded); none when absent.
   */
  readonly generatorUrl?: string | undefined;
  /** Interval of re-sends while firing, ms; must be below the Alertmanager's `resolve_timeout`. */
  readonly resendIntervalMs: number;
  /** Time allowed for one POST, ms. */
  readonly timeoutMs: number;
  /** Length of the silence an ACKNOWLEDGED episode gets, ms (default {@link DEFAULT_ACK_SILENCE_MS}). */
  readonly ackSilenceMs?: number | undefined;
}

/** A `postableSilence` of Alertmanager's API v2. */
export interface PostableSilence {
  readonly matchers: readonly { readonly name: string; readonly value: string; readonly isRegex: boolean; readonly isEqual: boolean }[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
}

/**
 * The silence of an acknowledged episode (pure): matcher `alert_id="<id>"`, from `nowMs` for
 * `ackSilenceMs`, created by `busbar-alerter`, the Alert's message (who acknowledged, why) as comment.
 *
 * @param alert - an ACKNOWLEDGED Alert record.
 * @param ackSilenceMs - length of the silence, ms.
 * @param nowMs - its start, ms since epoch.
 */
export function ackSilenceOf(alert: Alert, ackSilenceMs: number, nowMs: number): PostableSilence {
  return {
    matchers: [{ name: 'alert_id', value: alert.alert_id, isRegex: false, isEqual: true }],
    startsAt: new Date(nowMs).toISOString(),
    endsAt: new Date(nowMs + ackSilenceMs).toISOString(),
    createdBy: 'busbar-alerter',
    comment: alert.message,
  };
}

/** A `postableAlert` of Alertmanager's API v2 (times as RFC 3339 text). */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
}

/** Label and annotation values of one alert before times are added. */
type Shape = Omit<PostableAlert, 'startsAt' | 'endsAt'>;

/**
 * Builds the Alertmanager alerts of one Alert record (pure).
 *
 * - FIRING: one alert, `startsAt` = the transition's time, `endsAt` = `nowMs + 4 × resendIntervalMs`;
 *   a CRITICAL also carries its WARNING twin resolved at the transition's time (an escalation
 *   replaces the WARNING alert).
 * - RESOLVED: the alert with `startsAt` = `endsAt` = the transition's time (Alertmanager keeps the
 *   earlier `startsAt` it had), and for a CRITICAL the WARNING twin resolved too.
 * Annotations: `summary` (the Alert's message), `value` and `threshold` in the signal's unit when known.
 *
 * @param alert - the Alert record (schemas/alert.avsc).
 * @param target - labels, device labels, generator URL template and resend interval.
 * @param nowMs - the send time, ms since epoch (sets a firing alert's `endsAt`).
 * @returns one or two postable alerts.
 */
export function toAlertmanagerAlerts(alert: Alert, target: AlertmanagerTarget, nowMs: number): PostableAlert[] {
  return new AlertmanagerMapper(target).map(alert, nowMs);
}

/** Maps Alert records to Alertmanager alerts with the globs of one target compiled once. */
class AlertmanagerMapper {
  private readonly labelsOf: (alert: Alert) => Record<string, string>;

  constructor(private readonly target: AlertmanagerTarget) {
    this.labelsOf = alertLabeler(target);
  }

  map(alert: Alert, nowMs: number): PostableAlert[] {
    const at = alert.timestamp.toISOString();
    const annotations: Record<string, string> = { summary: alert.message };
    if (alert.value !== null) annotations['value'] = String(alert.value);
    if (alert.threshold !== null) annotations['threshold'] = String(alert.threshold);
    const generatorURL = generatorUrlOf(alert, this.target.generatorUrl);
    const shape: Shape = { labels: this.labelsOf(alert), annotations, ...(generatorURL === undefined ? {} : { generatorURL }) };
    const out: PostableAlert[] = alert.state !== 'RESOLVED'
      ? [{ ...shape, startsAt: at, endsAt: new Date(nowMs + 4 * this.target.resendIntervalMs).toISOString() }]
      : [{ ...shape, startsAt: at, endsAt: at }];
    if (alert.severity === 'CRITICAL') out.push({ ...shape, labels: { ...shape.labels, severity: 'warning' }, startsAt: at, endsAt: at });
    return out;
  }
}

/**
 * POSTs `alerts` to `<baseUrl>/api/v2/alerts`.
 *
 * @throws {BusbarError} `BB_ALERTER_NOTIFY_REJECTED` (not retriable) on HTTP 400/422 (invalid alerts);
 *   `BB_ALERTER_ALERTMANAGER_FAILED` (retriable) on another non-2xx answer, a network error or a timeout.
 */
export async function postAlertmanagerAlerts(baseUrl: string, alerts: readonly PostableAlert[], timeoutMs: number): Promise<void> {
  await postJson(`${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`, alerts, timeoutMs, 'alerts');
}

/**
 * POSTs a silence to `<baseUrl>/api/v2/silences`.
 *
 * @throws {BusbarError} as {@link postAlertmanagerAlerts}.
 */
export async function postAlertmanagerSilence(baseUrl: string, silence: PostableSilence, timeoutMs: number): Promise<void> {
  await postJson(`${baseUrl.replace(/\/+$/, '')}/api/v2/silences`, silence, timeoutMs, 'silence');
}

async function postJson(url: string, payload: unknown, timeoutMs: number, what: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    throw new BusbarError('BB_ALERTER_ALERTMANAGER_FAILED', `Alertmanager ${url}: ${(cause as Error).message}`, { cause, retriable: true, context: { url } });
  }
  if (res.ok) return;
  const body = (await res.text().catch(() => '')).slice(0, 300);
  if (res.status === 400 || res.status === 422) {
    throw new BusbarError('BB_ALERTER_NOTIFY_REJECTED', `Alertmanager ${url} refused the ${what} (HTTP ${res.status}): ${body}`, { retriable: false, context: { url, status: res.status } });
  }
  throw new BusbarError('BB_ALERTER_ALERTMANAGER_FAILED', `Alertmanager ${url} answered HTTP ${res.status}: ${body}`, { retriable: true, context: { url, status: res.status } });
}

/**
 * A {@link Notifier} for one Alertmanager: channel `alertmanager-<n>`, re-sent by the dispatcher every
 * `resendIntervalMs` while the alert fires.
 *
 * @param channel - the dispatcher channel name (`alertmanager-1` …).
 * @param target - see {@link AlertmanagerTarget}.
 * @param nowMs - the clock (ms since epoch) that sets `endsAt` of firing alerts.
 */
export function alertmanagerNotifier(channel: string, target: AlertmanagerTarget, nowMs: () => number = Date.now): Notifier {
  const mapper = new AlertmanagerMapper(target);
  return {
    channel,
    resendIntervalMs: target.resendIntervalMs,
    states: ['FIRING', 'ACKNOWLEDGED', 'RESOLVED'],
    send: (alert) => alert.state === 'ACKNOWLEDGED'
      ? postAlertmanagerSilence(target.url, ackSilenceOf(alert, target.ackSilenceMs ?? DEFAULT_ACK_SILENCE_MS, nowMs()), target.timeoutMs)
      : postAlertmanagerAlerts(target.url, mapper.map(alert, nowMs()), target.timeoutMs),
  };
}
