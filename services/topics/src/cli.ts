/**
 * The command line of `busbar-topics` (parsing only; {@link runTopicsCli} does the work):
 *
 *   busbar-topics create [--config FILE] [--brokers host:port,...] [--replication-factor N]
 *                        [--partitions ROLE=N]... [--retention-ms ROLE=MS]... [--alerter-state TOPIC]...
 *                        [--timeout-s S] [--dry-run]
 *
 * Brokers and topic names come from `--config` (any Busbar service's file: its `kafka:` and `topics:`
 * sections, TLS and SASL included; the rest is ignored) with the usual `BUSBAR_KAFKA__BROKERS`-style environment overrides,
 * and `--brokers` wins over both. `--alerter-state TOPIC` also creates an alerter group's rule-state
 * topic (compacted, as many partitions as the readings topic): the alerter's `state.topic`, default
 * `busbar.alerter-state.<groupId>.v1`.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { kafkaConfigSchema, topicsConfigSchema } from '@busbar/kafka';
import type { KafkaSecurityConfig, TopicsConfig } from '@busbar/kafka';
import { ConfigError, loadConfig } from '@busbar/runtime';
import type { TopicRole } from './topics.js';
import type { AclGrant } from './acls.js';
import { TOPIC_POLICIES } from './topics.js';

/** What `busbar-topics create` was asked to do. */
export interface CreateCommand {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** TLS and SASL of the `kafka:` section (`--config` / `BUSBAR_KAFKA__SSL`...), used as the services use them. */
  readonly security: KafkaSecurityConfig;
  /** Topic names (the `topics:` section, defaults filled in). */
  readonly names: TopicsConfig;
  /** Partitions by role (over the defaults). */
  readonly partitions: Partial<Record<TopicRole, number>>;
  /** `retention.ms` by role (over the defaults). */
  readonly retentionMs: Partial<Record<TopicRole, number>>;
  /** Alerter rule-state topics to create too (`--alerter-state`). */
  readonly alerterStateTopics: readonly string[];
  /** Replication factor of created topics (undefined: the broker's default). */
  readonly replicationFactor: number | undefined;
  /** How long to keep trying to reach the cluster, s (default 120). */
  readonly timeoutS: number;
  /** Change nothing, report. */
  readonly dryRun: boolean;
}

/** What `busbar-topics acls` was asked to do. */
export interface AclsCommand {
  readonly command: 'acls';
  /** Bootstrap brokers, `host:port` (the admin's, for `--apply` and the printed lines). */
  readonly brokers: readonly string[];
  /** TLS and SASL of the admin (`--config` file's `kafka:` section). */
  readonly security: KafkaSecurityConfig;
  /** Topic names. */
  readonly names: TopicsConfig;
  /** The grants, `--grant ROLE=PRINCIPAL[@GROUP]`. */
  readonly grants: readonly AclGrant[];
  /** Create the ACLs through the admin API instead of printing `kafka-acls.sh` lines. */
  readonly apply: boolean;
  /** `--command-config` file for the printed lines. */
  readonly commandConfig: string | undefined;
}

/** The roles of `--grant` (see `aclsFor`). */
const ACL_ROLES = ['collector', 'commander', 'historian', 'alerter', 'issuer'] as const;

/** Usage text printed by `--help` and after a usage error. */
export const USAGE = `usage: busbar-topics create [--config FILE] [--brokers host:port,...] [--replication-factor N]
                            [--partitions ROLE=N]... [--retention-ms ROLE=MS]... [--alerter-state TOPIC]...
                            [--timeout-s S] [--dry-run]
       busbar-topics acls   [--config FILE] [--brokers host:port,...] --grant ROLE=PRINCIPAL[@GROUP]...
                            [--apply] [--command-config FILE]
roles: ${Object.keys(TOPIC_POLICIES).join(', ')}
acl roles: ${ACL_ROLES.join(', ')} (docs/security.md)`;

/** `ROLE=PRINCIPAL[@GROUP]` → a grant. */
function grantOf(item: string): AclGrant {
  const m = /^([a-z]+)=([^@\s]+)(?:@([^\s]+))?$/.exec(item);
  const role = m?.[1] as (typeof ACL_ROLES)[number] | undefined;
  if (!m || role === undefined || !ACL_ROLES.includes(role) || m[2] === undefined) throw new ConfigError('BB_CONFIG_INVALID', `--grant ${item}: expected ROLE=PRINCIPAL[@GROUP] with ROLE one of ${ACL_ROLES.join(', ')}`);
  if (role === 'issuer') {
    if (m[3] !== undefined) throw new ConfigError('BB_CONFIG_INVALID', `--grant ${item}: an issuer has no consumer group`);
    return { role, principal: m[2] };
  }
  return m[3] === undefined ? { role, principal: m[2] } : { role, principal: m[2], groupId: m[3] };
}

const sectionsSchema = z.object({ kafka: kafkaConfigSchema, topics: topicsConfigSchema });

function positiveInt(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) throw new ConfigError('BB_CONFIG_INVALID', `${what}: expected a positive integer, got "${text}"`);
  return Number(text);
}

function byRole(items: readonly string[], option: string): Partial<Record<TopicRole, number>> {
  const out: Partial<Record<TopicRole, number>> = {};
  for (const item of items) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(item);
    const role = m?.[1];
    if (!m || role === undefined || !(role in TOPIC_POLICIES)) throw new ConfigError('BB_CONFIG_INVALID', `${option} ${item}: expected ROLE=N with ROLE one of ${Object.keys(TOPIC_POLICIES).join(', ')}`);
    out[role as TopicRole] = positiveInt(m[2] ?? '', `${option} ${role}`);
  }
  return out;
}

/**
 * Parses `busbar-topics` arguments.
 *
 * @param argv - arguments after the script (`create ...`).
 * @param env - the environment (`BUSBAR_KAFKA__BROKERS`, `BUSBAR_TOPICS__READINGS`... apply).
 * @returns the command (`create`, or `acls`: {@link AclsCommand}), or `'help'` for `--help`.
 * @throws {ConfigError} `BB_CONFIG_INVALID` for an unknown command or option, a bad number or role,
 *   no brokers anywhere; `BB_CONFIG_UNREADABLE` when `--config` cannot be read.
 */
export function parseTopicsArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CreateCommand | AclsCommand | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        brokers: { type: 'string' },
        'replication-factor': { type: 'string' },
        partitions: { type: 'string', multiple: true, default: [] },
        'retention-ms': { type: 'string', multiple: true, default: [] },
        'alerter-state': { type: 'string', multiple: true, default: [] },
        'timeout-s': { type: 'string', default: '120' },
        'dry-run': { type: 'boolean', default: false },
        grant: { type: 'string', multiple: true, default: [] },
        apply: { type: 'boolean', default: false },
        'command-config': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (cause) {
    throw new ConfigError('BB_CONFIG_INVALID', (cause as Error).message, { cause });
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1 || (positionals[0] !== 'create' && positionals[0] !== 'acls')) throw new ConfigError('BB_CONFIG_INVALID', `expected the command "create" or "acls", got "${positionals.join(' ')}"`);
  const overrides: NodeJS.ProcessEnv = { ...env };
  if (values.brokers !== undefined) overrides['BUSBAR_KAFKA__BROKERS'] = values.brokers;
  if (values.config === undefined && overrides['BUSBAR_KAFKA__BROKERS'] === undefined && overrides['BUSBAR_KAFKA'] === undefined) {
    throw new ConfigError('BB_CONFIG_INVALID', 'no brokers: give --brokers host:port,..., --config FILE or BUSBAR_KAFKA__BROKERS');
  }
  const sections = loadConfig(sectionsSchema, { file: values.config, env: overrides });
  const security = { ...(sections.kafka.ssl === undefined ? {} : { ssl: sections.kafka.ssl }), ...(sections.kafka.sasl === undefined ? {} : { sasl: sections.kafka.sasl }) };
  if (positionals[0] === 'acls') {
    if (values.grant.length === 0) throw new ConfigError('BB_CONFIG_INVALID', 'acls: give at least one --grant ROLE=PRINCIPAL[@GROUP]');
    return { command: 'acls', brokers: sections.kafka.brokers, security, names: sections.topics, grants: values.grant.map(grantOf), apply: values.apply, commandConfig: values['command-config'] };
  }
  return {
    brokers: sections.kafka.brokers,
    security,
    names: sections.topics,
    partitions: byRole(values.partitions, '--partitions'),
    retentionMs: byRole(values['retention-ms'], '--retention-ms'),
    alerterStateTopics: values['alerter-state'].map((t) => {
      if (!/^[A-Za-z0-9._-]{1,249}$/.test(t)) throw new ConfigError('BB_CONFIG_INVALID', `--alerter-state ${JSON.stringify(t)}: expected a Kafka topic name (A-Z a-z 0-9 . _ -, at most 249 characters)`);
      return t;
    }),
    replicationFactor: values['replication-factor'] === undefined ? undefined : positiveInt(values['replication-factor'], '--replication-factor'),
    timeoutS: positiveInt(values['timeout-s'], '--timeout-s'),
    dryRun: values['dry-run'],
  };
}
