import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import { createKafka, topicsConfigSchema } from '@busbar/kafka';
import { startKafka } from '@busbar/testkit';
import type { KafkaHandle } from '@busbar/testkit';
import { busbarTopics, createBusbarTopics } from '../src/topics.js';
import { runTopicsCli } from '../src/run.js';

let server: KafkaHandle;
let admin: Admin;

beforeAll(async () => {
  server = await startKafka();
  admin = createKafka({ brokers: server.brokers, clientId: 'topics-test' }).admin();
  await admin.connect();
}, 120_000);

afterAll(async () => {
  await admin?.disconnect();
  await server?.stop();
});

async function configOf(topic: string): Promise<Map<string, string>> {
  const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  return new Map(d.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
}

async function partitionsOf(topic: string): Promise<number> {
  const m = await admin.fetchTopicMetadata({ topics: [topic] });
  return m.topics[0]!.partitions.length;
}

describe('busbar-topics create against a real Kafka', () => {
  it('creates every topic with its partitions, retention and delete policy, and is idempotent', async () => {
    const lines: string[] = [];
    const errs: string[] = [];
    const out = { out: (l: string) => void lines.push(l), err: (l: string) => void errs.push(l) };
    expect(await runTopicsCli(['create', '--brokers', server.brokers.join(',')], {}, out)).toBe(0);
    const expected = busbarTopics(topicsConfigSchema.parse(undefined));
    expect(lines).toHaveLength(expected.length);
    for (const t of expected) {
      expect(lines.find((l) => l.startsWith(`${t.topic}  `)), t.topic).toContain('created');
      expect(await partitionsOf(t.topic), t.topic).toBe(t.numPartitions);
      const cfg = await configOf(t.topic);
      expect(cfg.get('cleanup.policy'), t.topic).toBe('delete');
      expect(cfg.get('retention.ms'), t.topic).toBe(t.config['retention.ms']);
    }
    lines.length = 0;
    expect(await runTopicsCli(['create', '--brokers', server.brokers.join(',')], {}, out)).toBe(0);
    expect(lines.every((l) => / {2}unchanged {2}/.test(l)), lines.join('\n')).toBe(true);
    expect(errs).toEqual([]);
  });

  it('creates an alerter rule-state topic asked for with --alerter-state: compacted, as many partitions as the readings topic', async () => {
    const lines: string[] = [];
    const out = { out: (l: string) => void lines.push(l), err: () => undefined };
    const topic = `busbar.alerter-state.topics-test-${Date.now()}.v1`;
    expect(await runTopicsCli(['create', '--brokers', server.brokers.join(','), '--partitions', 'readings=8', '--alerter-state', topic], {}, out)).toBe(0);
    expect(lines.find((l) => l.startsWith(`${topic}  `))).toContain('created');
    expect(await partitionsOf(topic)).toBe(8);
    expect((await configOf(topic)).get('cleanup.policy')).toBe('compact');
  });

  it('corrects the retention of a present topic, keeps its other settings, and reports fewer partitions without changing them', async () => {
    const names = topicsConfigSchema.parse({ readings: 'site.readings', alerts: 'site.alerts' });
    await admin.createTopics({ waitForLeaders: true, topics: [
      { topic: 'site.readings', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '1000' }, { name: 'max.message.bytes', value: '2000000' }] },
    ] });
    const dry = await createBusbarTopics(admin, busbarTopics(names), { dryRun: true });
    expect(dry.find((r) => r.topic === 'site.readings')).toMatchObject({ action: 'would-reconfigure', partitions: 2 });
    expect(dry.find((r) => r.topic === 'site.alerts')).toMatchObject({ action: 'would-create' });
    expect((await admin.listTopics()).includes('site.alerts')).toBe(false);
    expect((await configOf('site.readings')).get('retention.ms')).toBe('1000');

    const reports = await createBusbarTopics(admin, busbarTopics(names));
    const readings = reports.find((r) => r.topic === 'site.readings')!;
    expect(readings.action).toBe('reconfigured');
    expect(readings.changed).toContain(`retention.ms: 1000 -> ${7 * 86_400_000}`);
    expect(readings.warning).toMatch(/has 2 partitions, fewer than the 6 expected/);
    const cfg = await configOf('site.readings');
    expect(cfg.get('retention.ms')).toBe(String(7 * 86_400_000));
    expect(cfg.get('max.message.bytes')).toBe('2000000');
    expect(await partitionsOf('site.readings')).toBe(2);
    expect(await partitionsOf('site.alerts')).toBe(3);
  });

  it('exits 1 with the cluster error when a replication factor cannot be met', async () => {
    const errs: string[] = [];
    const code = await runTopicsCli(['create', '--brokers', server.brokers.join(','), '--replication-factor', '3'], { BUSBAR_TOPICS__READINGS: 'rf3.readings' }, { out: () => undefined, err: (l) => void errs.push(l) });
    expect(code).toBe(1);
    expect(errs.join('\n')).toMatch(/busbar-topics: .*(replication|brokers)/i);
  });

  it('exits 1 after --timeout-s when no broker answers', async () => {
    const errs: string[] = [];
    const code = await runTopicsCli(['create', '--brokers', '127.0.0.1:1', '--timeout-s', '1'], {}, { out: () => undefined, err: (l) => void errs.push(l) });
    expect(code).toBe(1);
    expect(errs.at(-1)).toMatch(/^busbar-topics: /);
  });
});
