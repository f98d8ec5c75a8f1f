/**
 * The topics Busbar expects and their creation: partitions, retention and cleanup policy per role,
 * created when absent and corrected (configuration only) when present.
 *
 * Partition defaults are those of schemas/README.md "Topics" (`TOPICS` of `@busbar/avro`: 6 for
 * readings, 3 for the others). Every topic of the `topics:` section is `cleanup.policy=delete`: each
 * record is an event (a reading, a command, a result), keyed by device id, and compaction would keep
 * only a device's last one. Retention is a deployment choice; the defaults below say what each one
 * protects. The one exception, created only when asked for by name: an alerter group's rule-state
 * topic (role `alerterState`; services/alerter `state.topic`, default
 * `busbar.alerter-state.<groupId>.v1`) — `cleanup.policy=compact` (one record per firing series,
 * the latest wins) and as many partitions as the readings topic (the alerter refuses fewer:
 * `BB_ALERTER_STATE_TOPIC_MISMATCH`), docs/architecture.md "Alerter rule state".
 */
import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { TopicsConfig } from '@busbar/kafka';

// kafkajs is CommonJS and Node's ESM loader does not detect these two among its named exports
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/** A topic role: a key of the `topics:` section every service shares (`@busbar/kafka` `topicsConfigSchema`). */
export type TopicRole = keyof TopicsConfig;

/** What Busbar expects of one topic role. */
export interface TopicPolicy {
  /** Partitions when Busbar creates the topic (upper bound of the consumers of one group). */
  readonly partitions: number;
  /** `retention.ms`: how long records are kept, ms. */
  readonly retentionMs: number;
  /** Why this retention (printed by `busbar-topics create --dry-run`, written in deploy/README.md). */
  readonly why: string;
}

const DAY_MS = 86_400_000;

/** The default policy of each role. */
export const TOPIC_POLICIES: Readonly<Record<TopicRole, TopicPolicy>> = {
  readings: { partitions: 6, retentionMs: 7 * DAY_MS, why: 'buffer between collectors and the historian: an InfluxDB or historian outage of up to a week is replayed' },
  deviceEvents: { partitions: 3, retentionMs: 30 * DAY_MS, why: 'connection and fault history of the devices' },
  commands: { partitions: 3, retentionMs: 7 * DAY_MS, why: 'audit of what operators asked (commands expire within maxCommandLifetimeMs, at most 24 h)' },
  deviceCommands: { partitions: 3, retentionMs: 7 * DAY_MS, why: 'commands routed to the collector that owns the device; same audit window as commands' },
  commandResults: { partitions: 3, retentionMs: 30 * DAY_MS, why: 'read back at start by the commander and the collectors (answered command ids over maxCommandLifetimeMs): never below 25 h' },
  alerts: { partitions: 3, retentionMs: 30 * DAY_MS, why: 'alert history for notifiers and reports' },
  deadLetter: { partitions: 3, retentionMs: 30 * DAY_MS, why: 'records no consumer could decode, kept for an operator to inspect' },
};

/** One topic to create: name, partitions and topic configuration. */
export interface BusbarTopic {
  /** Its role in the `topics:` section, or `alerterState` (an alerter group's rule-state topic). */
  readonly role: TopicRole | 'alerterState';
  /** Topic name (the configured one, default `busbar.<role>.v1`). */
  readonly topic: string;
  /** Partitions when created. */
  readonly numPartitions: number;
  /** Topic configuration set at creation and enforced afterwards (`cleanup.policy`, `retention.ms`). */
  readonly config: Readonly<Record<string, string>>;
}

/** Options of {@link busbarTopics}. */
export interface BusbarTopicsOptions {
  /** Partitions by role, over {@link TOPIC_POLICIES}. */
  readonly partitions?: Partial<Record<TopicRole, number>>;
  /** `retention.ms` by role, over {@link TOPIC_POLICIES}. */
  readonly retentionMs?: Partial<Record<TopicRole, number>>;
  /** Rule-state topics of alerter groups to create too (compacted, as many partitions as the readings topic). */
  readonly alerterStateTopics?: readonly string[];
}

/**
 * The topics of a `topics:` section (parsed, i.e. with the default names filled in), in the
 * section's order.
 */
export function busbarTopics(names: TopicsConfig, options: BusbarTopicsOptions = {}): BusbarTopic[] {
  const topics: BusbarTopic[] = (Object.keys(TOPIC_POLICIES) as TopicRole[]).map((role) => ({
    role,
    topic: names[role],
    numPartitions: options.partitions?.[role] ?? TOPIC_POLICIES[role].partitions,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(options.retentionMs?.[role] ?? TOPIC_POLICIES[role].retentionMs) },
  }));
  const readingsPartitions = options.partitions?.readings ?? TOPIC_POLICIES.readings.partitions;
  for (const topic of options.alerterStateTopics ?? []) topics.push({ role: 'alerterState', topic, numPartitions: readingsPartitions, config: { 'cleanup.policy': 'compact' } });
  return topics;
}

/** What {@link createBusbarTopics} did to one topic. */
export interface TopicReport {
  /** Topic name. */
  readonly topic: string;
  /** `created`; `reconfigured` (configuration keys changed); `unchanged`; with `dryRun`, `would-create` / `would-reconfigure`. */
  readonly action: 'created' | 'reconfigured' | 'unchanged' | 'would-create' | 'would-reconfigure';
  /** Partitions the topic has (expected ones when it is created). */
  readonly partitions: number;
  /** Configuration keys set to the expected value (`key: old -> new`). */
  readonly changed: readonly string[];
  /**
   * Set when the topic has fewer partitions than expected. Not corrected: adding partitions moves
   * devices to other partitions, which breaks per-device order for the records in flight; do it on
   * purpose (`kafka-topics.sh --alter --partitions N`) in a quiet moment.
   */
  readonly warning?: string;
}

/** Options of {@link createBusbarTopics}. */
export interface CreateTopicsOptions {
  /** Replication factor of created topics (default -1: the broker's `default.replication.factor`). */
  readonly replicationFactor?: number;
  /** Report what would be done, change nothing. */
  readonly dryRun?: boolean;
}

/**
 * Creates the absent topics with their partitions and configuration, and sets the expected
 * configuration on the present ones (keeping their other topic-level settings: Kafka's
 * AlterConfigs replaces a topic's whole dynamic configuration, so those are sent back with ours).
 * Idempotent. Partition counts of present topics are reported, never changed.
 *
 * @param admin - a connected kafkajs admin client.
 * @returns one report per topic, in the order given.
 * @throws the kafkajs error when the cluster refuses a request (e.g. a replication factor above the broker count).
 */
export async function createBusbarTopics(admin: Admin, topics: readonly BusbarTopic[], options: CreateTopicsOptions = {}): Promise<TopicReport[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  const present = topics.filter((t) => existing.has(t.topic));
  if (missing.length > 0 && !options.dryRun) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions, replicationFactor: options.replicationFactor ?? -1, configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })) })),
    });
  }
  const reports = new Map<string, TopicReport>();
  for (const t of missing) reports.set(t.topic, { topic: t.topic, action: options.dryRun ? 'would-create' : 'created', partitions: t.numPartitions, changed: Object.entries(t.config).map(([k, v]) => `${k}: -> ${v}`) });
  if (present.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
    const partitionsOf = new Map(metadata.topics.map((m) => [m.name, m.partitions.length]));
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: present.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.topic })) });
    const entriesOf = new Map(described.resources.map((r) => [r.resourceName, r.configEntries]));
    const alter: Array<{ topic: string; entries: Array<{ name: string; value: string }> }> = [];
    for (const t of present) {
      const entries = entriesOf.get(t.topic) ?? [];
      const current = new Map(entries.map((e) => [e.configName, e.configValue]));
      const changed = Object.entries(t.config).filter(([k, v]) => current.get(k) !== v).map(([k, v]) => `${k}: ${current.get(k) ?? ''} -> ${v}`);
      if (changed.length > 0) {
        const keep = entries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && !(e.configName in t.config) && !e.isSensitive);
        alter.push({ topic: t.topic, entries: [...keep.map((e) => ({ name: e.configName, value: e.configValue })), ...Object.entries(t.config).map(([name, value]) => ({ name, value }))] });
      }
      const partitions = partitionsOf.get(t.topic) ?? 0;
      const action = changed.length === 0 ? 'unchanged' : options.dryRun ? 'would-reconfigure' : 'reconfigured';
      const warning = partitions < t.numPartitions ? `has ${partitions} partitions, fewer than the ${t.numPartitions} expected: not changed (see deploy/README.md, "Topics")` : undefined;
      reports.set(t.topic, { topic: t.topic, action, partitions, changed, ...(warning ? { warning } : {}) });
    }
    if (alter.length > 0 && !options.dryRun) {
      await admin.alterConfigs({ validateOnly: false, resources: alter.map((a) => ({ type: ConfigResourceTypes.TOPIC, name: a.topic, configEntries: a.entries })) });
    }
  }
  return topics.map((t) => reports.get(t.topic)!);
}
