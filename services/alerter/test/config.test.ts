import { describe, expect, it } from 'vitest';
import { alerterConfigSchema } from '../src/index.js';
import { stateTopicOf } from '../src/config.js';
import { DEFAULT_SMTP_TIMEOUTS_MS } from '../src/notify/email.js';

const base = {
  kafka: { brokers: ['127.0.0.1:9092'] },
  rules: [{ id: 'psu-temp', signal: 'temperature_c', critical: 80, clear: 60 }],
};

describe('alerter > config', () => {
  it('bounds every SMTP wait by default: 10 s connect, 10 s greeting, 20 s socket inactivity', () => {
    const c = alerterConfigSchema.parse({ ...base, email: { smtp: { host: 'smtp.lab.test' }, from: 'busbar@lab.test', to: ['oncall@lab.test'] } });
    expect(c.email?.smtp).toMatchObject({ connectionTimeoutMs: 10_000, greetingTimeoutMs: 10_000, socketTimeoutMs: 20_000 });
    expect(DEFAULT_SMTP_TIMEOUTS_MS).toEqual({ connectionTimeoutMs: 10_000, greetingTimeoutMs: 10_000, socketTimeoutMs: 20_000 });
  });

  it('takes configured SMTP timeouts and refuses ones below 100 ms, naming the field', () => {
    const c = alerterConfigSchema.parse({ ...base, email: { smtp: { host: 'smtp.lab.test', greetingTimeoutMs: 2500 }, from: 'busbar@lab.test', to: ['oncall@lab.test'] } });
    expect(c.email?.smtp.greetingTimeoutMs).toBe(2500);
    const bad = alerterConfigSchema.safeParse({ ...base, email: { smtp: { host: 'smtp.lab.test', socketTimeoutMs: 5 }, from: 'busbar@lab.test', to: ['oncall@lab.test'] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['email', 'smtp', 'socketTimeoutMs']);
  });

  it('names the state topic after the group by default, or as configured', () => {
    expect(stateTopicOf(alerterConfigSchema.parse(base))).toBe('busbar.alerter-state.busbar-alerter.v1');
    expect(stateTopicOf(alerterConfigSchema.parse({ ...base, groupId: 'lab-a' }))).toBe('busbar.alerter-state.lab-a.v1');
    expect(stateTopicOf(alerterConfigSchema.parse({ ...base, groupId: 'lab a/1', state: { topic: 'lab-a.alerter-state' } }))).toBe('lab-a.alerter-state');
  });

  it('asks for state.topic when the group id cannot name a topic, and refuses a bad topic name', () => {
    const noTopic = alerterConfigSchema.safeParse({ ...base, groupId: 'lab a/1' });
    expect(noTopic.success).toBe(false);
    expect(noTopic.error?.issues.map((i) => i.path.join('.'))).toEqual(['state.topic']);
    const bad = alerterConfigSchema.safeParse({ ...base, state: { topic: 'has space' } });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['state.topic']);
  });
});
