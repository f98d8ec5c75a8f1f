/**
 * Configuration of the alerter (file via `--config`/`BUSBAR_CONFIG`, overrides `BUSBAR_<PATH>`).
 */
import { z } from 'zod';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import { loadConfig } from '@busbar/runtime';
import { DEFAULT_SMTP_TIMEOUTS_MS } from './notify/email.js';
import { DEFAULT_NOTIFICATION_EXPIRY_MS } from './notify/outbox.js';
import type { ThresholdRule } from './rules/threshold.js';

const ruleSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be A-Z a-z 0-9 . _ -'),
    devices: z.array(z.string().min(1)).min(1).default(['*']),
    signal: z.string().min(1),
    direction: z.enum(['above', 'below']).default('above'),
    warning: z.number().finite().optional(),
    critical: z.number().finite().optional(),
    clear: z.number().finite(),
    forMs: z.number().int().min(0).default(0),
  })
  .strict()
  .superRefine((r, ctx) => {
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
  });

/** The whole file. Unknown keys are refused in every section. */
export const alerterConfigSchema = z.object({
  kafka: kafkaConfigSchema,
  topics: topicsConfigSchema,
  groupId: z.string().min(1).default('busbar-alerter'),
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
          secure: z.boolean().default(false),
          user: z.string().optional(),
          password: z.string().optional(),
          /** Time to establish the SMTP connection, ms (default 10 000). */
          connectionTimeoutMs: z.number().int().min(100).default(DEFAULT_SMTP_TIMEOUTS_MS.connectionTimeoutMs),
          /** Time from connected to the server's greeting, ms (default 10 000). */
          greetingTimeoutMs: z.number().int().min(100).default(DEFAULT_SMTP_TIMEOUTS_MS.greetingTimeoutMs),
          /** Inactivity allowed on an open SMTP connection, ms (default 20 000). */
          socketTimeoutMs: z.number().int().min(100).default(DEFAULT_SMTP_TIMEOUTS_MS.socketTimeoutMs),
        })
        .strict(),
      from: z.string().min(3),
      to: z.array(z.string().min(3)).min(1),
    })
    .strict()
    .optional(),
  /** Pager hooks: each FIRING/RESOLVED transition is POSTed as JSON (the Alert record). */
  webhooks: z.array(z.object({ url: z.url(), timeoutMs: z.number().int().min(100).default(5000) }).strict()).default([]),
  /**
   * The durable alert outbox (`notify/outbox.ts`): every notification is recorded before it is sent
   * and retried until delivered or expired.
   * - `path`: its SQLite file (default `state/<groupId>.outbox.sqlite` under the working directory;
   *   keep it on persistent storage — one file per alerter process: give each member of a group its own);
   * - `expireAfterMs`: give a notification up this long after it was recorded (default 6 h);
   * - `retryInitialMs` … `retryMaxMs`: backoff between attempts (default 1 s … 5 min).
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
  if (c.state.topic === undefined && !/^[A-Za-z0-9._-]{1,200}$/.test(c.groupId)) {
    ctx.addIssue({ code: 'custom', path: ['state', 'topic'], message: `give a topic name: the default busbar.alerter-state.<groupId>.v1 is not a topic name with groupId ${JSON.stringify(c.groupId)}` });
  }
});

/** The state topic of a configuration (`state.topic`, or `busbar.alerter-state.<groupId>.v1`). */
export function stateTopicOf(config: AlerterConfig): string {
  return config.state.topic ?? `busbar.alerter-state.${config.groupId}.v1`;
}

/** The validated configuration. */
export type AlerterConfig = z.output<typeof alerterConfigSchema>;

/** The rules as the evaluator takes them. */
export function rulesOf(config: AlerterConfig): ThresholdRule[] {
  return config.rules.map((r) => ({ ...r }));
}

/**
 * Loads and validates the configuration.
 *
 * @throws {ConfigError} naming the bad field (e.g. `rules.0.clear: must be ≤ the lowest bound ...`).
 */
export function loadAlerterConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): AlerterConfig {
  return loadConfig(alerterConfigSchema, { file, env });
}
