import { describe, expect, it } from 'vitest';
import { alerterConfigSchema } from '../src/index.js';
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
});
