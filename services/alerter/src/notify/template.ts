/**
 * Mail and webhook templates (Handlebars, https://handlebarsjs.com): the rendering context of a
 * notification — a group of alerts ({@link AlertGroup}; a single alert is a group of one), shaped
 * like Alertmanager's template data (`status`, `groupLabels`, `commonLabels`, `commonAnnotations`,
 * `alerts[]` with `status`, `labels`, `annotations`, `startsAt`, `endsAt`, `generatorUrl`) so that a
 * lab's templates carry over when it moves to Alertmanager — plus Busbar's own fields per alert
 * (`alertId`, `device`, `channel`, `signal`, `severity`, `value`, `threshold`…).
 *
 * Nothing is HTML-escaped (`noEscape`): mails are plain text, webhook bodies JSON; strings go into a
 * JSON body through the `json` helper (`{{json summary}}` → `"…"` with quotes and escapes). A webhook
 * body must parse as JSON: checked at load against sample alerts ({@link checkTemplate}) and again
 * at each send ({@link compileTemplate}).
 *
 * Helpers (beside Handlebars' built-in `if`, `unless`, `each`, `with`, `lookup`):
 * `json v` (JSON text of any value; `undefined` → `null`) and its block form
 * `{{#json}}…{{/json}}` (the rendered block as one JSON string); `truncate s n` / `{{#truncate n}}…{{/truncate}}`
 * (at most `n` characters, the last one `…` when cut); `escapeMrkdwn s` / block (`&`, `<`, `>` as
 * Slack wants them in mrkdwn text: `&amp;`, `&lt;`, `&gt;`); `limit list n` (the first `n` items);
 * `upper s`, `lower s`; `eq a b` (strict equality, for `{{#if (eq severity "critical")}}`).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import Handlebars from 'handlebars';
import type { Alert } from '@busbar/avro';
import { BusbarError } from '@busbar/core';
import type { AlertGroup } from './group.js';
import { groupKeyOf, groupStatus, singleAlertGroup } from './group.js';
import { alertLabeler } from '../routing/labels.js';
import type { LabelSettings } from '../routing/labels.js';

/** One alert of the context (Alertmanager's `Alert` template data plus Busbar's fields). */
export interface TemplateAlert {
  /** `firing` (FIRING, ACKNOWLEDGED) or `resolved` (RESOLVED), as Alertmanager says it. */
  readonly status: 'firing' | 'resolved';
  /** The Alert record's state: `FIRING`, `ACKNOWLEDGED` or `RESOLVED`. */
  readonly state: Alert['state'];
  /** The alerter's label set (`routing/labels.ts`): `alertname`, `rule`, `device`, `channel`, `signal`, `severity`, `alert_id` and the configured `routing.labels`/`deviceLabels`. */
  readonly labels: Readonly<Record<string, string>>;
  /** `summary` (the Alert's message), `value` and `threshold` (signal units, decimal text) when known — as sent to Alertmanager. */
  readonly annotations: Readonly<Record<string, string>>;
  /** The transition's time, ISO 8601 UTC (a RESOLVED record does not carry its episode's start: its time, as the Alertmanager receiver sends it). */
  readonly startsAt: string;
  /** RESOLVED: the transition's time, ISO 8601 UTC; firing: `null`. */
  readonly endsAt: string | null;
  /** The transition's time, ISO 8601 UTC. */
  readonly timestamp: string;
  /** The episode id (UUID): FIRING, ACKNOWLEDGED and RESOLVED of one episode share it. */
  readonly alertId: string;
  /** Rule id. */
  readonly rule: string;
  /** Device id. */
  readonly device: string;
  /** 1-based device channel, `null` when none. */
  readonly channel: number | null;
  /** Signal watched (`temperature_c`, `voltage_v`, `staleness_s`…). */
  readonly signal: string;
  /** `warning` or `critical` (as the `severity` label). */
  readonly severity: 'warning' | 'critical';
  /** Triggering value in the signal's unit (e.g. °C for `temperature_c`), `null` when none. */
  readonly value: number | null;
  /** The bound crossed, in the signal's unit, `null` when none. */
  readonly threshold: number | null;
  /** The Alert's human-readable text (as `annotations.summary`). */
  readonly message: string;
  /** Link to the alert's panel (`generatorUrl` setting with `{device}`, `{rule}`, `{signal}`, `{channel}`, `{alert_id}` replaced), `null` when not configured. */
  readonly generatorUrl: string | null;
}

/** The rendering context of one notification (Alertmanager's template `Data` plus Busbar's fields). */
export interface TemplateContext {
  /** The channel rendering it: `email`, `webhook-<name or n>` (Alertmanager's `receiver`). */
  readonly receiver: string;
  /** `firing` when any alert of the group fires, else `resolved`. */
  readonly status: 'firing' | 'resolved';
  /** The group key: `{rack="r3"}` for a `group_by` group, `{alert_id="<id>"}` for a single alert — stable across the notifications of one group or episode. */
  readonly groupKey: string;
  /** The `group_by` labels and values (a single alert: `alert_id`). */
  readonly groupLabels: Readonly<Record<string, string>>;
  /** The labels every alert of the group has with the same value. */
  readonly commonLabels: Readonly<Record<string, string>>;
  /** The annotations every alert of the group has with the same value. */
  readonly commonAnnotations: Readonly<Record<string, string>>;
  /** Every alert, in the group's order. Never empty. */
  readonly alerts: readonly TemplateAlert[];
  /** The alerts with status `firing`. */
  readonly firingAlerts: readonly TemplateAlert[];
  /** The alerts with status `resolved`. */
  readonly resolvedAlerts: readonly TemplateAlert[];
  /** `critical` when any alert of the group is CRITICAL, else `warning`. */
  readonly maxSeverity: 'warning' | 'critical';
}

/** What {@link templateContext} needs besides the group. */
export interface TemplateContextOptions {
  /** The channel name (`receiver`). */
  readonly receiver: string;
  /** `routing.labels`/`deviceLabels` (default none: only the alert's own labels). */
  readonly labels?: LabelSettings | undefined;
  /** Link template (`{device}`, `{rule}`, `{signal}`, `{channel}`, `{alert_id}` replaced, URL-encoded). */
  readonly generatorUrl?: string | undefined;
}

const NO_LABELS: LabelSettings = { labels: {}, deviceLabels: {} };

/**
 * `generatorUrl` with `{device}`, `{rule}`, `{signal}`, `{channel}` (empty when none) and
 * `{alert_id}` replaced by the alert's values, URL-encoded (as the Alertmanager receiver's `generatorURL`).
 *
 * @returns the link, or `undefined` without a template.
 */
export function generatorUrlOf(alert: Alert, template: string | undefined): string | undefined {
  if (template === undefined) return undefined;
  const values: Record<string, string> = { device: alert.device_id, rule: alert.rule, signal: alert.signal, channel: alert.channel === null ? '' : String(alert.channel), alert_id: alert.alert_id };
  return template.replace(/\{(device|rule|signal|channel|alert_id)\}/g, (_, k: string) => encodeURIComponent(values[k] ?? ''));
}

/** The entries with the same value in every record. */
function common(records: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const [first, ...rest] = records;
  if (first === undefined) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((r) => r[k] === v)));
}

/**
 * The rendering context of a notification (pure).
 *
 * @param group - the alerts notified together ({@link singleAlertGroup} for one alert).
 * @param options - channel name, label settings, generator URL template.
 * @returns the context, see {@link TemplateContext}.
 */
export function templateContext(group: AlertGroup, options: TemplateContextOptions): TemplateContext {
  const labelsOf = alertLabeler(options.labels ?? NO_LABELS);
  const alerts = group.alerts.map((a): TemplateAlert => {
    const at = a.timestamp.toISOString();
    const annotations: Record<string, string> = { summary: a.message };
    if (a.value !== null) annotations['value'] = String(a.value);
    if (a.threshold !== null) annotations['threshold'] = String(a.threshold);
    return {
      status: a.state === 'RESOLVED' ? 'resolved' : 'firing',
      state: a.state,
      labels: labelsOf(a),
      annotations,
      startsAt: at,
      endsAt: a.state === 'RESOLVED' ? at : null,
      timestamp: at,
      alertId: a.alert_id,
      rule: a.rule,
      device: a.device_id,
      channel: a.channel,
      signal: a.signal,
      severity: a.severity === 'CRITICAL' ? 'critical' : 'warning',
      value: a.value,
      threshold: a.threshold,
      message: a.message,
      generatorUrl: generatorUrlOf(a, options.generatorUrl) ?? null,
    };
  });
  return {
    receiver: options.receiver,
    status: groupStatus(group),
    groupKey: group.key,
    groupLabels: group.groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    alerts,
    firingAlerts: alerts.filter((a) => a.status === 'firing'),
    resolvedAlerts: alerts.filter((a) => a.status === 'resolved'),
    maxSeverity: alerts.some((a) => a.severity === 'critical') ? 'critical' : 'warning',
  };
}

/** One Handlebars environment with Busbar's helpers (not the library's global one). */
const hb = Handlebars.create();
/** Splits a helper's arguments from Handlebars' options object (always last). */
function helperArgs(args: unknown[]): { values: unknown[]; options: Handlebars.HelperOptions } {
  return { values: args.slice(0, -1), options: args.at(-1) as Handlebars.HelperOptions };
}
/** A value as template text: `undefined`/`null` → empty (as Handlebars renders them). Handlebars returns a block of one expression as its value, unconverted. */
const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value));
hb.registerHelper('json', function (this: unknown, ...args: unknown[]) {
  const { values, options } = helperArgs(args);
  // block form: the rendered block as one JSON string
  if (values.length === 0 && typeof options.fn === 'function') return JSON.stringify(text(options.fn(this)));
  return JSON.stringify(values[0] === undefined ? null : values[0]);
});
hb.registerHelper('truncate', function (this: unknown, ...args: unknown[]) {
  const { values, options } = helperArgs(args);
  const block = values.length === 1 && typeof options.fn === 'function';
  const s = text(block ? options.fn(this) : values[0]);
  const n = block ? values[0] : values[1];
  const max = typeof n === 'number' && n >= 1 ? Math.floor(n) : Number.POSITIVE_INFINITY;
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
});
hb.registerHelper('escapeMrkdwn', function (this: unknown, ...args: unknown[]) {
  const { values, options } = helperArgs(args);
  const s = text(values.length === 0 && typeof options.fn === 'function' ? options.fn(this) : values[0]);
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
});
hb.registerHelper('limit', (list: unknown, n: unknown) => (Array.isArray(list) ? list.slice(0, typeof n === 'number' ? Math.max(0, Math.floor(n)) : list.length) : []));
hb.registerHelper('upper', (value: unknown) => text(value).toUpperCase());
hb.registerHelper('lower', (value: unknown) => text(value).toLowerCase());
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);

/** What a template renders: `text` (a mail's subject or body) or `json` (a webhook's request body, must parse as JSON). */
export type TemplateKind = 'text' | 'json';

/** A compiled template: context → text. */
export type RenderTemplate = (context: TemplateContext) => string;

/**
 * Compiles a template (Handlebars, `noEscape`).
 *
 * @param source - the template text.
 * @param where - names it in errors: the configuration field and channel (`webhook-opsgenie (webhooks.1.templateFile)`).
 * @param kind - `json`: the output must parse as JSON.
 * @returns the render function. It throws `BusbarError` `BB_ALERTER_TEMPLATE_RENDER_FAILED`
 *   (`retriable: false`: the notification is given up, counted and logged — rendering again would
 *   fail again) when a helper fails or, for `json`, the output is not JSON (the message names
 *   `where` and the JSON error).
 * @throws {BusbarError} `BB_ALERTER_TEMPLATE_INVALID` when the template does not compile (syntax),
 *   naming `where` and Handlebars' message (line and column).
 */
export function compileTemplate(source: string, where: string, kind: TemplateKind): RenderTemplate {
  try {
    hb.parse(source); // Handlebars compiles lazily, at the first render: the syntax is checked now
  } catch (cause) {
    throw new BusbarError('BB_ALERTER_TEMPLATE_INVALID', `${where}: the template does not compile: ${(cause as Error).message}`, { cause, context: { where } });
  }
  const render = hb.compile<TemplateContext>(source, { noEscape: true });
  return (context) => {
    let out: string;
    try {
      out = text(render(context)); // a template of one expression gives its value as it is (a number)
    } catch (cause) {
      throw new BusbarError('BB_ALERTER_TEMPLATE_RENDER_FAILED', `${where}: the template failed to render: ${(cause as Error).message}`, { cause, retriable: false, context: { where } });
    }
    if (kind === 'json') {
      try {
        JSON.parse(out);
      } catch (cause) {
        throw new BusbarError('BB_ALERTER_TEMPLATE_RENDER_FAILED', `${where}: the template did not render JSON (${(cause as Error).message}); put strings in with {{json …}}`, { cause, retriable: false, context: { where } });
      }
    }
    return out;
  };
}

const SAMPLE_TIME = new Date('2026-01-01T00:00:00.000Z');
const SAMPLE: Alert = {
  alert_id: '00000000-0000-4000-8000-000000000000', rule: 'sample-rule', device_id: 'sample-device', channel: 3, signal: 'temperature_c', severity: 'CRITICAL',
  state: 'FIRING', value: 61.5, threshold: 60, timestamp: SAMPLE_TIME,
  // quotes, a backslash, a line break and HTML characters: a string put in without {{json}} breaks the JSON
  message: 'CRITICAL: sample-device channel 3 temperature_c = 61.5 "sample" \\ <&>\nsecond line (rule sample-rule)',
};

/**
 * The groups a template is checked against at load: a single FIRING alert (channel, value, bound),
 * its RESOLVED, a no-data alert without channel, value or bound, and a `group_by` group of two
 * (one firing, one resolved).
 */
export function sampleGroups(): AlertGroup[] {
  const resolvedOne: Alert = { ...SAMPLE, state: 'RESOLVED', message: 'RESOLVED: sample-device channel 3 temperature_c = 58 (rule sample-rule)', value: 58 };
  const noData: Alert = { ...SAMPLE, alert_id: '00000000-0000-4000-8000-000000000001', rule: 'sample-no-data', channel: null, signal: 'staleness_s', severity: 'WARNING', value: null, threshold: null, message: 'WARNING: sample-device no reading for 60 s (rule sample-no-data)' };
  const groupLabels = { rule: 'sample-rule' };
  return [singleAlertGroup(SAMPLE), singleAlertGroup(resolvedOne), singleAlertGroup(noData), { key: groupKeyOf(groupLabels), groupLabels, alerts: [SAMPLE, { ...noData, state: 'RESOLVED' }] }];
}

/**
 * Checks a template at load: compiles it and renders it against {@link sampleGroups}.
 *
 * @param source - the template text.
 * @param where - names it in errors (channel and configuration field).
 * @param kind - `json` for a webhook body.
 * @param options - as the channel will render it (label settings, generator URL).
 * @throws {BusbarError} `BB_ALERTER_TEMPLATE_INVALID` naming `where`: it does not compile, fails to
 *   render, or (`json`) does not render JSON — with the JSON error.
 */
export function checkTemplate(source: string, where: string, kind: TemplateKind, options: Omit<TemplateContextOptions, 'receiver'> = {}): void {
  const render = compileTemplate(source, where, kind);
  for (const group of sampleGroups()) {
    try {
      render(templateContext(group, { ...options, receiver: 'sample' }));
    } catch (err) {
      const sample = group.alerts.length > 1 ? 'a sample group of two alerts' : `a sample ${group.alerts[0]?.state ?? ''} alert`;
      throw new BusbarError('BB_ALERTER_TEMPLATE_INVALID', `${(err as Error).message} — rendering ${sample}`, { cause: err, context: { where } });
    }
  }
}

/**
 * Reads a template file (`templateFile`, `subjectFile`, `textFile`), UTF-8, as it is.
 *
 * @param path - as configured: relative to `baseDir` (the configuration file's folder) unless absolute.
 * @param field - the configuration field, for the error.
 * @param baseDir - folder of the configuration file.
 * @throws {BusbarError} `BB_ALERTER_TEMPLATE_INVALID` when the file cannot be read, naming the field and the path.
 */
export function readTemplateFile(path: string, field: string, baseDir: string): string {
  const full = isAbsolute(path) ? path : resolve(baseDir, path);
  try {
    return readFileSync(full, 'utf8');
  } catch (cause) {
    throw new BusbarError('BB_ALERTER_TEMPLATE_INVALID', `${field}: cannot read template file ${full} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause, context: { field, path: full } });
  }
}

/**
 * The renderers of a channel, compiled once: `render(group)` builds the context and renders.
 *
 * @param source - the template text (checked at load).
 * @param where - names it in errors.
 * @param kind - `json` for a webhook body.
 * @param options - channel name, label settings, generator URL.
 * @returns group → rendered text; throws as {@link compileTemplate}'s render function.
 */
export function groupRenderer(source: string, where: string, kind: TemplateKind, options: TemplateContextOptions): (group: AlertGroup) => string {
  const render = compileTemplate(source, where, kind);
  return (group) => render(templateContext(group, options));
}
