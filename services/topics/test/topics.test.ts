import { describe, expect, it } from 'vitest';
import { DEFAULT_TOPICS, topicsConfigSchema } from '@busbar/kafka';
import { TOPICS } from '@busbar/avro';
import { TOPIC_POLICIES, busbarTopics } from '../src/topics.js';

describe('busbarTopics', () => {
  it('lists every topic of the topics: section with the default partitions of schemas/README.md', () => {
    const topics = busbarTopics(topicsConfigSchema.parse(undefined));
    expect(topics.map((t) => t.topic).sort()).toEqual(Object.values(DEFAULT_TOPICS).sort());
    // the partition defaults published by @busbar/avro for the topics it describes
    for (const spec of Object.values(TOPICS)) {
      expect(topics.find((t) => t.topic === spec.name)?.numPartitions, spec.name).toBe(spec.defaultPartitions);
    }
  });

  it('never compacts (every record is an event keyed by device id) and keeps command results over a day', () => {
    const topics = busbarTopics(topicsConfigSchema.parse(undefined));
    for (const t of topics) expect(t.config['cleanup.policy'], t.topic).toBe('delete');
    const results = topics.find((t) => t.role === 'commandResults')!;
    // commander and collectors read it back over maxCommandLifetimeMs (at most 24 h) + margin
    expect(Number(results.config['retention.ms'])).toBeGreaterThanOrEqual(25 * 3_600_000);
  });

  it('adds alerter rule-state topics only when named: compacted, as many partitions as the readings topic', () => {
    const names = topicsConfigSchema.parse(undefined);
    expect(busbarTopics(names).some((t) => t.role === 'alerterState')).toBe(false);
    const [state, other] = busbarTopics(names, { alerterStateTopics: ['busbar.alerter-state.a.v1', 'busbar.alerter-state.b.v1'] }).filter((t) => t.role === 'alerterState');
    expect(state).toEqual({ role: 'alerterState', topic: 'busbar.alerter-state.a.v1', numPartitions: TOPIC_POLICIES.readings.partitions, config: { 'cleanup.policy': 'compact' } });
    expect(other?.topic).toBe('busbar.alerter-state.b.v1');
    const more = busbarTopics(names, { partitions: { readings: 12 }, alerterStateTopics: ['s'] }).find((t) => t.role === 'alerterState');
    expect(more?.numPartitions).toBe(12);
  });

  it('uses the configured names and the overrides by role', () => {
    const names = topicsConfigSchema.parse({ readings: 'site-a.readings' });
    const topics = busbarTopics(names, { partitions: { readings: 12 }, retentionMs: { alerts: 1000 } });
    const readings = topics.find((t) => t.role === 'readings')!;
    expect(readings).toMatchObject({ topic: 'site-a.readings', numPartitions: 12 });
    expect(topics.find((t) => t.role === 'alerts')!.config['retention.ms']).toBe('1000');
    expect(topics.find((t) => t.role === 'deadLetter')!.config['retention.ms']).toBe(String(TOPIC_POLICIES.deadLetter.retentionMs));
  });
});
