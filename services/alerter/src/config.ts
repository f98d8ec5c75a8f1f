/**
 * Configuration of the alerter (file via `--config`/`BUSBAR_CONFIG`, overrides `BUSBAR_<PATH>`).
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_ALERT_CONTROL_TOPIC, DEFAULT_SILENCES_TOPIC, parseMatcher } from '@busbar/alert-control';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { BusbarError } from '@busbar/core';
import { loadConfig } from '@busbar/runtime';
import { DEFAULT_SMTP_TIMEOUTS_MS } from './notify/email.js';
import { DEFAULT_NOTIFICATION_EXPIRY_MS } from './notify/dispatcher.js';
import { DEFAULT_ACK_SILENCE_MS, DEFAULT_ALERTMANAGER_RESEND_MS } from './notify/alertmanager.js';
import { DEFAULT_PAGERDUTY_URL } from './notify/pagerduty.js';
import { readSecretFile, resolveSecret } from './notify/secrets.js';
import { checkTemplate, readTemplateFile } from './notify/template.js';
import type { WebhookTarget } from './notify/webhook.js';
import type { RuleEngine } from './rules/engine.js';
import { deviceEventEngine } from './rules/device-event.js';
import { noDataEngine } from './rules/no-data.js';
import { rateOfChangeEngine, thresholdEngine } from './rules/reading-rules.js';
import { rateSignalOf } from './rules/rate-of-change.js';

const ruleId = z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be A-Z a-z 0-9 . _ -');
const deviceGlobs = z.array(z.string().min(1)).min(1).default(['*']);
const globs = z.array(z.string().min(1)).min(1);
const severity = z.enum(['WARNING', 'CRITICAL']).default('CRITICAL');

/** Test-state scope of a rule on readings (`rules/scope.ts`): record types and states (globs), value ranges. */
const scopeSchema = z
  .object({
    recordTypes: globs.optional(),
    states: z.record(z.string().min(1), globs).optional(),
    values: z
      .record(
        z.string().min(1),
        z
          .object({ above: z.number().finite().optional(), below: z.number().finite().optional() })
          .strict()
          .refine((r) => r.above !== undefined || r.below !== undefined, { message: 'give above, below or both' })
          .refine((r) => r.above === undefined || r.below === undefined || r.above < r.below, { message: 'above must be < below (an empty range never matches)' }),
      )
      .optional(),
  })
  .strict()
  .refine((w) => w.recordTypes !== undefined || Object.keys(w.states ?? {}).length > 0 || Object.keys(w.values ?? {}).length > 0, { message: 'give recordTypes, states, values or several' });

/** Bounds, for-duration and hysteresis, shared by threshold and rate-of-change rules. */
const boundsShape = {
  direction: z.enum(['above', 'below']).default('above'),
  warning: z.number().finite().optional(),
  critical: z.number().finite().optional(),
  clear: z.number().finite(),
  forMs: z.number().int().min(0).default(0),
};

function checkBounds(r: { direction: 'above' | 'below'; warning?: number | undefined; critical?: number | undefined; clear: number }, ctx: z.RefinementCtx): void {
  if (r.warning === undefined && r.critical === undefined) ctx.addIssue({ code: 'custom', path: ['critical'], message: 'give warning, critical or both' });
  const above = r.direction === 'above';
  const lowest = Math.min(...[r.warning, r.critical].filter((b): b is number => b !== undefined));
  const highest = Math.max(...[r.warning, r.critical].filter((b): b is number => b !== undefined));
  if (r.warning !== undefined && r.critical !== undefined && (above ? r.critical < r.warning : r.critical > r.warning)) {
    ctx.addIssue({ code: 'custom', path: ['critical'], message: `must be ${above ? '≥' : '≤'} warning for direction ${r.direction}` });
  }
  if (above ? r.clear > lowest : r.clear < highest) {
    ctx.addIssue({ code: 'custom', path: ['clear'], message: `must be ${above ? '≤ the lowest' : '≥ the highest'} bound for direction ${r.direction} (hysteresis)` });
  }
}

/** `type: threshold` (the default when `type` is absent): a value beyond bounds (`rules/threshold.ts`). */
const thresholdSchema = z
  .object({ type: z.literal('threshold'), id: ruleId, devices: deviceGlobs, signal: z.string().min(1), ...boundsShape, when: scopeSchema.optional() })
  .strict()
  .superRefine(checkBounds);

/** `type: rate_of_change`: the rate of a signal per s/min/h over a window (`rules/rate-of-change.ts`). */
const rateOfChangeSchema = z
  .object({
    type: z.literal('rate_of_change'), id: ruleId, devices: deviceGlobs, signal: z.string().min(1),
    per: z.enum(['s', 'min', 'h']).default('s'),
    windowMs: z.number().int().min(1000),
    ...boundsShape,
    when: scopeSchema.optional(),
  })
  .strict()
  .superRefine(checkBounds);

/** `type: no_data`: no reading (of `signal`) for `timeoutMs` (`rules/no-data.ts`). */
const noDataSchema = z
  .object({
    type: z.literal('no_data'), id: ruleId, devices: deviceGlobs, signal: z.string().min(1).optional(),
    perChannel: z.boolean().default(false),
    timeoutMs: z.number().int().min(1000),
    severity,
  })
  .strict();

/** `type: disconnect`: DISCONNECTED without a CONNECTED for `forMs` (a device-event rule, per device). */
const disconnectSchema = z
  .object({ type: z.literal('disconnect'), id: ruleId, devices: deviceGlobs, forMs: z.number().int().min(0), severity })
  .strict();

const eventKinds = z.array(z.enum(['CONNECTED', 'DISCONNECTED', 'FAULT', 'STATE_CHANGE'])).min(1);
const eventMatchSchema = z
  .object({
    kinds: eventKinds.optional(),
    states: globs.optional(),
    previousStates: globs.optional(),
    errorCodes: globs.optional(),
    details: z.record(z.string().min(1), globs).optional(),
  })
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), { message: 'give at least one of kinds, states, previousStates, errorCodes, details' });

/** `type: device_event`: a condition started and ended by device events (`rules/device-event.ts`). */
const deviceEventSchema = z
  .object({
    type: z.literal('device_event'), id: ruleId, devices: deviceGlobs,
    signal: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a signal name: a-z 0-9 _').default('device_event'),
    severity,
    perChannel: z.boolean().default(true),
    fire: eventMatchSchema,
    clear: eventMatchSchema.optional(),
    forMs: z.number().int().min(0).default(0),
    quietMs: z.number().int().min(1000).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.clear === undefined && r.quietMs === undefined) ctx.addIssue({ code: 'custom', path: ['clear'], message: 'give clear, quietMs or both: otherwise the alert never resolves' });
  });

const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Prometheus label name ([A-Za-z_][A-Za-z0-9_]*)');
const labelSet = z.record(labelName, z.string());
const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name (A-Z a-z 0-9 . _ -)');

/** A label matcher in Alertmanager syntax (`rack="r1"`, `severity=~"warning|critical"`), parsed at load (`@busbar/alert-control`). */
const matcherSchema = z.string().transform((text, ctx) => {
  try {
    return parseMatcher(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** One Alertmanager (`notify/alertmanager.ts`). */
const alertmanagerSchema = z
  .object({
    url: z.url().refine((u) => { const p = new URL(u); return p.username === '' && p.password === ''; }, { message: 'credentials in the URL are not supported (they would reach the logs): none' }),
    labels: labelSet.default({}),
    deviceLabels: z.record(z.string().min(1), labelSet).default({}),
    generatorUrl: z.string().min(1).optional(),
    resendIntervalMs: z.number().int().min(1000).max(3_600_000).default(DEFAULT_ALERTMANAGER_RESEND_MS),
    /** Length of the silence (matcher `alert_id`) an acknowledged episode gets, ms (default 24 h). */
    ackSilenceMs: z.number().int().min(60_000).default(DEFAULT_ACK_SILENCE_MS),
    timeoutMs: z.number().int().min(100).default(5000),
  })
  .strict();

const pdSeverity = z.enum(['critical', 'error', 'warning', 'info']);
/** One PagerDuty Events API v2 integration (`notify/pagerduty.ts`). */
const pagerdutySchema = z
  .object({
    /** File holding the integration's routing key (32 characters; surrounding whitespace ignored). */
    routingKeyFile: z.string().min(1),
    /** Events API endpoint (default PagerDuty's; a proxy or a test server otherwise). */
    url: z.url().refine((u) => { const p = new URL(u); return p.username === '' && p.password === ''; }, { message: 'credentials in the URL are not supported (they would reach the logs): none' }).default(DEFAULT_PAGERDUTY_URL),
    /** Busbar severity → PagerDuty severity. */
    severity: z.object({ WARNING: pdSeverity.default('warning'), CRITICAL: pdSeverity.default('critical') }).strict().default({ WARNING: 'warning', CRITICAL: 'critical' }),
    /** Device id glob → PagerDuty `group` (e.g. the rack), first match wins; none when no glob matches. */
    deviceGroups: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** Link to the alert's Grafana panel (`client_url`; `{device}`, `{rule}`, `{signal}`, `{channel}`, `{alert_id}` replaced). */
    clientUrl: z.string().min(1).optional(),
    timeoutMs: z.number().int().min(100).default(10_000),
  })
  .strict();

const RULE_TYPES = ['threshold', 'rate_of_change', 'no_data', 'disconnect', 'device_event'] as const;

/** One rule: `type` picks the kind (`threshold` when absent, as before the other kinds existed). */
const ruleSchema = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) && !('type' in v) ? { ...v, type: 'threshold' } : v),
  z.discriminatedUnion('type', [thresholdSchema, rateOfChangeSchema, noDataSchema, disconnectSchema, deviceEventSchema], { error: `type must be one of ${RULE_TYPES.join(', ')}` }),
);

/** The whole file. Unknown keys are refused in every section. */
export const alerterConfigSchema = z.object({
  kafka: kafkaConfigSchema,
  topics: topicsConfigSchema,
  groupId: z.string().min(1).default('busbar-alerter'),
  /**
   * This member's name in its group, unique among the group's running members: its Kafka
   * transactional id is `<groupId>.<instanceId>` (default: host name and process id). A member
   * restarted under the same name fences and aborts what its previous run left open at once;
   * under a new name the broker aborts it after the transaction timeout (10 s).
   */
  instanceId: z.string().regex(/^[A-Za-z0-9._-]{1,120}$/, 'must be 1–120 characters of A-Z a-z 0-9 . _ -').optional(),
  rules: z.array(ruleSchema).min(1, 'configure at least one rule').superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
    });
  }),
  email: z
    .object({
      smtp: z
        .object({
          host: z.string().min(1),
          port: z.number().int().min(1).max(65535).default(25),
          /** Implicit TLS from the first byte (SMTPS, port 465). */
          secure: z.boolean().default(false),
          /**
           * Fail unless STARTTLS upgrades the connection (ports 25/587): no credentials or mail in clear.
           * Default: true when a password is configured (a stripped STARTTLS must not send it in clear), else false.
           */
          requireTLS: z.boolean().optional(),
          /** Never upgrade with STARTTLS even when offered (only for a relay that mishandles it). */
          ignoreTLS: z.boolean().default(false),
          /** PEM file of a private CA that signed the server's certificate (relative to this file). */
          caFile: z.string().min(1).optional(),
          /** Verify the server certificate (default true; false only for a test server). */
          rejectUnauthorized: z.boolean().default(true),
          user: z.string().optional(),
          /** Prefer `passwordFile` (or `BUSBAR_EMAIL__SMTP__PASSWORD`): a password in the file is readable by whoever reads the configuration. */
          password: z.string().optional(),
          /** File holding the SMTP password (relative to this file; one trailing newline dropped). */
          passwordFile: z.string().min(1).optional(),
          /** Time to establish the SMTP connection, ms (default 10 000). */
          connectionTimeoutMs: z.number().int().min(100).default(DEFAULT_SMTP_TIMEOUTS_MS.connectionTimeoutMs),
          /** Time from connected to the server's greeting, ms (default 10 000). */
          greetingTimeoutMs: z.number().int().min(100).default(DEFAULT_SMTP_TIMEOUTS_MS.greetingTimeoutMs),
          /** Inactivity allowed on an open SMTP connection, ms (default 20 000). */
          socketTimeoutMs: z.number().int().min(100).default(DEFAULT_SMTP_TIMEOUTS_MS.socketTimeoutMs),
        })
        .strict()
        .superRefine((smtp, ctx) => {
          if (smtp.password !== undefined && smtp.passwordFile !== undefined) ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'give password or passwordFile, not both' });
          if ((smtp.password !== undefined || smtp.passwordFile !== undefined) && smtp.user === undefined) ctx.addIssue({ code: 'custom', path: ['user'], message: 'a password needs a user' });
          if (smtp.secure && (smtp.requireTLS || smtp.ignoreTLS)) ctx.addIssue({ code: 'custom', path: ['secure'], message: 'secure (implicit TLS) excludes requireTLS and ignoreTLS (they are about STARTTLS)' });
          if (smtp.requireTLS === true && smtp.ignoreTLS) ctx.addIssue({ code: 'custom', path: ['ignoreTLS'], message: 'requireTLS and ignoreTLS contradict each other' });
          if (smtp.ignoreTLS && (smtp.password !== undefined || smtp.passwordFile !== undefined)) ctx.addIssue({ code: 'custom', path: ['ignoreTLS'], message: 'ignoreTLS with a password would send the password in clear' });
        })
        .transform((smtp) => ({ ...smtp, requireTLS: smtp.requireTLS ?? (!smtp.secure && (smtp.password !== undefined || smtp.passwordFile !== undefined)) })),
      from: z.string().min(3),
      to: z.array(z.string().min(3)).min(1),
      /**
       * Handlebars templates of the mail (`notify/template.ts`, context in docs/alerting.md
       * "Templates"): `subject`/`text` inline or `subjectFile`/`textFile` (relative to this file);
       * checked at load. Each absent: today's subject/text (`formatAlertMail`, `formatGroupMail`).
       * `generatorUrl`: link template of the context's per-alert `generatorUrl`.
       */
      templates: z
        .object({
          subject: z.string().min(1).optional(),
          subjectFile: z.string().min(1).optional(),
          text: z.string().min(1).optional(),
          textFile: z.string().min(1).optional(),
          generatorUrl: z.string().min(1).optional(),
        })
        .strict()
        .superRefine((t, ctx) => {
          if (t.subject !== undefined && t.subjectFile !== undefined) ctx.addIssue({ code: 'custom', path: ['subjectFile'], message: 'give subject or subjectFile, not both' });
          if (t.text !== undefined && t.textFile !== undefined) ctx.addIssue({ code: 'custom', path: ['textFile'], message: 'give text or textFile, not both' });
        })
        .optional(),
    })
    .strict()
    .optional(),
  /**
   * Pager hooks: each FIRING/RESOLVED transition is POSTed as JSON (the Alert record).
   * - `url` or `urlFile` (a file holding the URL, relative to this file: the URL of a Slack or
   *   PagerDuty hook is itself the secret);
   * - `headers`: extra request headers, each value inline or `{ file: path }` (e.g.
   *   `Authorization: { file: secrets/pager-token.txt }` holding `Bearer …`);
   * - `template` or `templateFile` (relative to this file): a Handlebars template of the request body
   *   (`notify/template.ts`; context in docs/alerting.md "Templates"; `examples/alerter/*.hbs`); it
   *   must render JSON — checked at load against sample alerts, a template that does not is refused
   *   (`BB_ALERTER_TEMPLATE_INVALID` naming the hook and the JSON error); absent: the Alert record
   *   (or Busbar's group payload) as JSON. `generatorUrl`: link template of the context's per-alert `generatorUrl`;
   * - `name`: the channel's name (`webhook-<name>`; default `webhook-<position>`, 1-based): it names
   *   the channel's consumer group, i.e. where it stands in the alerts topic — give each hook a
   *   name so that removing or reordering hooks does not hand one hook's position to another
   *   (a renamed channel starts at the alerts written from its first start on).
   */
  webhooks: z
    .array(
      z
        .object({
          name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 characters of A-Z a-z 0-9 . _ -').optional(),
          url: z.url().optional(),
          urlFile: z.string().min(1).optional(),
          headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name'), z.union([z.string(), z.object({ file: z.string().min(1) }).strict()])).default({}),
          timeoutMs: z.number().int().min(100).default(5000),
          template: z.string().min(1).optional(),
          templateFile: z.string().min(1).optional(),
          generatorUrl: z.string().min(1).optional(),
        })
        .strict()
        .refine((h) => (h.url === undefined) !== (h.urlFile === undefined), { message: 'give url or urlFile (exactly one)', path: ['url'] })
        .refine((h) => h.template === undefined || h.templateFile === undefined, { message: 'give template or templateFile, not both', path: ['templateFile'] }),
    )
    .default([])
    .superRefine((hooks, ctx) => {
      const seen = new Set<string>();
      hooks.forEach((h, i) => {
        const channel = h.name ?? String(i + 1);
        if (seen.has(channel)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `channel webhook-${channel} is named twice: give each hook its own name` });
        seen.add(channel);
      });
    }),
  /**
   * Alertmanagers (`notify/alertmanager.ts`): each gets every alert through API v2, as channel
   * `alertmanager-<n>` (consumer group `<groupId>.notify.alertmanager-<n>`), re-sent every
   * `resendIntervalMs` while firing (keep it below the Alertmanager's `resolve_timeout`, default
   * 5 min). `labels` are added to every alert; `deviceLabels` maps device id globs to labels
   * (`{ "psu-r1-*": { rack: "r1" } }`, first match wins); `generatorUrl` links the alert to its
   * Grafana panel (`{device}`, `{rule}`, `{signal}`, `{channel}`, `{alert_id}` are replaced).
   */
  alertmanagers: z.array(alertmanagerSchema).default([]),
  /** PagerDuty Events API v2 (`notify/pagerduty.ts`), channel `pagerduty-<n>`. */
  pagerduty: z.array(pagerdutySchema).default([]),
  /**
   * Acknowledgements (`ack/record.ts`): JSON records `{"v":1,"action":"ack","alert_id","by","comment","at_ms"}`
   * on `topic` (default `busbar.alert-control.v1`, created when absent), read by the group
   * `<groupId>.acks`; an ack of a firing episode publishes its ACKNOWLEDGED Alert, which stops its
   * escalation notices. `enabled: false` leaves the topic alone.
   */
  acks: z
    .object({
      enabled: z.boolean().default(true),
      topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name (A-Z a-z 0-9 . _ -)').default(DEFAULT_ALERT_CONTROL_TOPIC),
    })
    .strict()
    .default({ enabled: true, topic: DEFAULT_ALERT_CONTROL_TOPIC }),
  /**
   * Built-in routing for labs without Alertmanager (`routing/`), applied by every channel before it
   * sends (`notify/dispatcher.ts`). The alert's labels are Alertmanager's (`alertname`, `rule`,
   * `device`, `channel`, `signal`, `severity`, `alert_id`) plus `labels` and the first matching
   * `deviceLabels`.
   * - `silences`: records on a compacted topic (default `busbar.alert-silences.v1`, created when
   *   absent) that mute matching alerts between their start and end; absent: no silences;
   * - `inhibitRules`: Alertmanager `inhibit_rules` (`sourceMatchers`, `targetMatchers`, `equal`): a
   *   target is not notified while a source fires (in the rule state) with the same `equal` labels;
   * - `routes`: `{matchers, receivers, continue}` tried in order (`routing/routes.ts`); an alert no
   *   route matches goes to `defaultReceivers` (default: every channel). Receivers are channel names
   *   (`email`, `webhook-<n>`, `alertmanager-<n>`, `pagerduty-<n>`);
   * - `repeatIntervalMs`: Alertmanager's `repeat_interval` for every channel but the Alertmanagers
   *   (which re-send by themselves): a firing alert is notified again this often until it resolves
   *   or is acknowledged (in memory: not after a restart); none when absent. With `groupBy`, the
   *   grouped channels repeat each group instead (an unchanged group that still fires);
   * - `groupBy`: Alertmanager's `group_by` for the channels that send groups (e-mail, webhooks;
   *   `notify/grouping.ts`): label names whose values make a group (`['...']`: every alert in a
   *   group of its own); absent: one notification per alert record, as without grouping;
   * - `groupWaitMs`: `group_wait`, how long a new group waits before its first notification
   *   (default 30 s);
   * - `groupIntervalMs`: `group_interval`, least time between two notifications of a group that
   *   changed (a new firing alert, a resolve; default 5 min).
   * Top level only: no per-route grouping or timing.
   */
  routing: z
    .object({
      labels: labelSet.default({}),
      deviceLabels: z.record(z.string().min(1), labelSet).default({}),
      silences: z.object({ topic: topicName.default(DEFAULT_SILENCES_TOPIC) }).strict().optional(),
      inhibitRules: z.array(z.object({ sourceMatchers: z.array(matcherSchema).min(1), targetMatchers: z.array(matcherSchema).min(1), equal: z.array(labelName).default([]) }).strict()).default([]),
      routes: z.array(z.object({ matchers: z.array(matcherSchema).min(1), receivers: z.array(z.string().min(1)).min(1), continue: z.boolean().default(false) }).strict()).default([]),
      defaultReceivers: z.array(z.string().min(1)).optional(),
      repeatIntervalMs: z.number().int().min(60_000).optional(),
      groupBy: z.array(z.union([z.literal('...'), labelName])).min(1).optional(),
      groupWaitMs: z.number().int().min(0).max(3_600_000).default(30_000),
      groupIntervalMs: z.number().int().min(100).max(86_400_000).default(300_000),
    })
    .strict()
    .optional(),
  /**
   * Delivery of notifications (`notify/dispatcher.ts`): the alerts topic is the outbox — each
   * channel reads it in a consumer group of its own and commits an alert once it was delivered.
   * - `expireAfterMs`: give a notification up this long after its Alert record was written (default 6 h);
   * - `retryInitialMs` … `retryMaxMs`: backoff between attempts (default 1 s … 5 min);
   * - `path`: no longer used (the SQLite outbox of release 1); accepted with a warning so that an
   *   older configuration still starts.
   */
  outbox: z
    .object({
      path: z.string().min(1).optional(),
      expireAfterMs: z.number().int().min(1000).default(DEFAULT_NOTIFICATION_EXPIRY_MS),
      retryInitialMs: z.number().int().min(10).default(1000),
      retryMaxMs: z.number().int().min(10).default(300_000),
    })
    .strict()
    .default({ expireAfterMs: DEFAULT_NOTIFICATION_EXPIRY_MS, retryInitialMs: 1000, retryMaxMs: 300_000 }),
  /**
   * The durable rule state (`rule-state/record.ts`): which series fire, in which episode, kept in a
   * compacted topic so that a restart or a partition move neither fires an episode again under a
   * new id nor loses its RESOLVED.
   * - `topic`: the state topic, one per alerter group (default `busbar.alerter-state.<groupId>.v1`);
   *   created by the alerter when absent (`cleanup.policy=compact`, as many partitions as the
   *   readings topic);
   * - `loadTimeoutMs`: longest wait to read it up to its end, at start or when a partition is handed over.
   */
  state: z
    .object({
      topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name (A-Z a-z 0-9 . _ -)').optional(),
      loadTimeoutMs: z.number().int().min(1000).default(60_000),
    })
    .strict()
    .default({ loadTimeoutMs: 60_000 }),
  ops: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9466) }).strict().default({ host: '127.0.0.1', port: 9466 }),
}).strict().superRefine((c, ctx) => {
  const channels = new Set(channelsOf(c));
  const check = (names: readonly string[] | undefined, path: (string | number)[]): void => names?.forEach((n, i) => {
    if (!channels.has(n)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `no receiver ${n}: the configured ones are ${[...channels].join(', ') || 'none'}` });
  });
  c.routing?.routes.forEach((r, i) => check(r.receivers, ['routing', 'routes', i, 'receivers']));
  check(c.routing?.defaultReceivers, ['routing', 'defaultReceivers']);
  if (c.state.topic === undefined && !/^[A-Za-z0-9._-]{1,200}$/.test(c.groupId)) {
    ctx.addIssue({ code: 'custom', path: ['state', 'topic'], message: `give a topic name: the default busbar.alerter-state.<groupId>.v1 is not a topic name with groupId ${JSON.stringify(c.groupId)}` });
  }
});

/**
 * The channel names of a configuration, in order: `email`, `webhook-<name or n>`, `alertmanager-<n>`, `pagerduty-<n>`.
 *
 * @param c - the parsed configuration.
 */
export function channelsOf(c: { email?: unknown; webhooks: readonly { readonly name?: string | undefined }[]; alertmanagers: readonly unknown[]; pagerduty: readonly unknown[] }): string[] {
  return [
    ...(c.email === undefined ? [] : ['email']),
    ...c.webhooks.map((h, i) => `webhook-${h.name ?? i + 1}`),
    ...c.alertmanagers.map((_, i) => `alertmanager-${i + 1}`),
    ...c.pagerduty.map((_, i) => `pagerduty-${i + 1}`),
  ];
}

/** The state topic of a configuration (`state.topic`, or `busbar.alerter-state.<groupId>.v1`). */
export function stateTopicOf(config: Pick<AlerterConfigFile, 'state' | 'groupId'>): string {
  return config.state.topic ?? `busbar.alerter-state.${config.groupId}.v1`;
}

/** The configuration as written (secret files not read yet). */
export type AlerterConfigFile = z.output<typeof alerterConfigSchema>;

/** The e-mail templates with their files read: `subject`, `text` (template text), `generatorUrl`. */
export interface EmailTemplates {
  readonly subject?: string | undefined;
  readonly text?: string | undefined;
  readonly generatorUrl?: string | undefined;
}

/**
 * The validated configuration with its secrets and templates read: each webhook has its `url`,
 * header values and `template` text, `email.smtp` its `password` and `ca` (PEM text), `email.templates`
 * its template texts, each PagerDuty integration its `routingKey`.
 */
export type AlerterConfig = Omit<AlerterConfigFile, 'webhooks' | 'email' | 'pagerduty'> & {
  readonly pagerduty: readonly (Omit<AlerterConfigFile['pagerduty'][number], 'routingKeyFile'> & { readonly routingKey: string })[];
  readonly webhooks: readonly (WebhookTarget & { readonly headers: Readonly<Record<string, string>>; readonly name?: string | undefined })[];
  readonly email?: (Omit<NonNullable<AlerterConfigFile['email']>, 'smtp' | 'templates'> & { readonly smtp: NonNullable<AlerterConfigFile['email']>['smtp'] & { readonly ca?: string | undefined }; readonly templates?: EmailTemplates | undefined }) | undefined;
};

/**
 * Reads the secret and template files of a parsed configuration (paths relative to `baseDir`) and
 * checks the templates (compiled and rendered against sample alerts; a webhook's must render JSON).
 * A configuration whose files are already read is returned as it is (idempotent).
 *
 * @throws {BusbarError} `BB_ALERTER_SECRET_UNREADABLE` naming the field and the path (never the
 *   content); `BB_CONFIG_INVALID` when a `urlFile` does not hold an http(s) URL;
 *   `BB_ALERTER_TEMPLATE_INVALID` naming the channel and the field when a template file cannot be
 *   read, a template does not compile or render, or a webhook's does not render JSON.
 */
export function resolveAlerterSecrets(file: AlerterConfigFile | AlerterConfig, baseDir: string): AlerterConfig {
  const labels = file.routing === undefined ? undefined : { labels: file.routing.labels, deviceLabels: file.routing.deviceLabels };
  const webhooks = file.webhooks.map((h: AlerterConfigFile['webhooks'][number] | AlerterConfig['webhooks'][number], i) => {
    const field = `webhooks.${i}`;
    const templateFile = 'templateFile' in h ? h.templateFile : undefined;
    const template = h.template ?? (templateFile === undefined ? undefined : readTemplateFile(templateFile, `${field}.templateFile`, baseDir));
    if (template !== undefined) checkTemplate(template, `webhook-${h.name ?? i + 1} (${field}.${templateFile === undefined ? 'template' : `templateFile ${templateFile}`})`, 'json', { labels, generatorUrl: h.generatorUrl });
    const url = h.url ?? readSecretFile((h as { urlFile: string }).urlFile, `${field}.urlFile`, baseDir);
    if (h.url === undefined && !/^https?:\/\/[^\s]+$/.test(url)) {
      throw new BusbarError('BB_CONFIG_INVALID', `${field}.urlFile: the file does not hold an http(s) URL on one line`, { context: { field: `${field}.urlFile` } });
    }
    const headers = Object.fromEntries(Object.entries(h.headers).map(([name, v]) => [name, resolveSecret(v, `${field}.headers.${name}`, baseDir)]));
    return {
      url, headers, timeoutMs: h.timeoutMs, ...(h.name !== undefined ? { name: h.name } : {}),
      ...(template === undefined ? {} : { template }), ...(h.generatorUrl === undefined ? {} : { generatorUrl: h.generatorUrl }),
    };
  });
  let email: AlerterConfig['email'];
  if (file.email !== undefined) {
    const { passwordFile, caFile, ...smtp } = file.email.smtp as NonNullable<AlerterConfigFile['email']>['smtp'] & { readonly ca?: string | undefined };
    const t = file.email.templates as (EmailTemplates & { readonly subjectFile?: string | undefined; readonly textFile?: string | undefined }) | undefined;
    let templates: EmailTemplates | undefined;
    if (t !== undefined) {
      const subject = t.subject ?? (t.subjectFile === undefined ? undefined : readTemplateFile(t.subjectFile, 'email.templates.subjectFile', baseDir));
      const text = t.text ?? (t.textFile === undefined ? undefined : readTemplateFile(t.textFile, 'email.templates.textFile', baseDir));
      if (subject !== undefined) checkTemplate(subject, `email (email.templates.${t.subjectFile === undefined ? 'subject' : `subjectFile ${t.subjectFile}`})`, 'text', { labels, generatorUrl: t.generatorUrl });
      if (text !== undefined) checkTemplate(text, `email (email.templates.${t.textFile === undefined ? 'text' : `textFile ${t.textFile}`})`, 'text', { labels, generatorUrl: t.generatorUrl });
      templates = { ...(subject === undefined ? {} : { subject }), ...(text === undefined ? {} : { text }), ...(t.generatorUrl === undefined ? {} : { generatorUrl: t.generatorUrl }) };
    }
    email = {
      ...file.email,
      ...(templates === undefined ? {} : { templates }),
      smtp: {
        ...smtp,
        ...(passwordFile === undefined ? {} : { password: readSecretFile(passwordFile, 'email.smtp.passwordFile', baseDir) }),
        ...(caFile === undefined ? {} : { ca: readSecretFile(caFile, 'email.smtp.caFile', baseDir) }),
      },
    };
  }
  const pagerduty = file.pagerduty.map((pd: AlerterConfigFile['pagerduty'][number] | AlerterConfig['pagerduty'][number], i) => {
    if ('routingKey' in pd) return pd;
    const { routingKeyFile, ...rest } = pd;
    return { ...rest, routingKey: readSecretFile(routingKeyFile, `pagerduty.${i}.routingKeyFile`, baseDir).trim() };
  });
  return { ...file, webhooks, email, pagerduty };
}

/** The engine of each configured rule (`rules/`), in the order of the file. */
export function enginesOf(config: Pick<AlerterConfig, 'rules'>): RuleEngine[] {
  return config.rules.map((r): RuleEngine => {
    switch (r.type) {
      case 'threshold':
        return thresholdEngine(r);
      case 'rate_of_change':
        return rateOfChangeEngine(r);
      case 'no_data':
        return noDataEngine(r);
      case 'disconnect':
        return deviceEventEngine({ id: r.id, devices: r.devices, signal: 'disconnected_s', severity: r.severity, perChannel: false, fire: { kinds: ['DISCONNECTED'] }, clear: { kinds: ['CONNECTED'] }, forMs: r.forMs });
      case 'device_event':
        return deviceEventEngine(r);
    }
  });
}

/**
 * The signal of a rule's alerts (as its engine names it): the configured `signal`, `<signal>_per_<per>`
 * for a rate-of-change rule, `staleness_s`
 * for a no-data rule, `disconnected_s` for a disconnect rule; `undefined` for an unknown rule id.
 *
 * @param config - the parsed configuration.
 * @param ruleId - a rule id.
 */
export function signalOfRule(config: Pick<AlerterConfig, 'rules'>, ruleId: string): string | undefined {
  const r = config.rules.find((x) => x.id === ruleId);
  if (r === undefined) return undefined;
  if (r.type === 'no_data') return 'staleness_s';
  if (r.type === 'disconnect') return 'disconnected_s';
  if (r.type === 'rate_of_change') return rateSignalOf(r);
  return r.signal;
}

/** Whether any rule reads device events (the alerter then consumes the device-events topic too). */
export const readsDeviceEvents = (config: Pick<AlerterConfig, 'rules'>): boolean => config.rules.some((r) => r.type === 'disconnect' || r.type === 'device_event');

/**
 * Loads and validates the configuration, then reads its secret files (`webhooks[].urlFile`,
 * `webhooks[].headers.*.file`, `email.smtp.passwordFile`, `email.smtp.caFile`) and template files
 * (`webhooks[].templateFile`, `email.templates.subjectFile`/`textFile`) relative to the folder of
 * `file` (the working directory without a file), and checks the templates.
 *
 * @throws {ConfigError} naming the bad field (e.g. `rules.0.clear: must be ≤ the lowest bound ...`).
 * @throws {BusbarError} `BB_ALERTER_SECRET_UNREADABLE` naming the field whose file cannot be read;
 *   `BB_ALERTER_TEMPLATE_INVALID` naming the channel and field of a bad template.
 */
export function loadAlerterConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): AlerterConfig {
  return resolveAlerterSecrets(loadConfig(alerterConfigSchema, { file, env }), file === undefined ? process.cwd() : dirname(resolve(file)));
}
