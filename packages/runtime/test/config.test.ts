import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../src/index.js';

const schema = z.object({
  kafka: z.object({ brokers: z.array(z.string()).min(1), clientId: z.string().default('busbar') }),
  pollIntervalMs: z.number().int().positive().default(1000),
  limits: z.object({ maxVoltageV: z.number().max(60) }),
});

function file(text: string, ext = 'yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-config-'));
  const path = join(dir, `c.${ext}`);
  writeFileSync(path, text);
  return path;
}

describe('runtime > config', () => {
  it('reads YAML, applies defaults and environment overrides, freezes the result', () => {
    const path = file('kafka:\n  brokers: [a:9092]\nlimits:\n  maxVoltageV: 4.2\n');
    const cfg = loadConfig(schema, { file: path, env: { BUSBAR_KAFKA__BROKERS: 'x:1,y:2', BUSBAR_POLL_INTERVAL_MS: '250', OTHER: '1' } });
    expect(cfg).toEqual({ kafka: { brokers: ['x:1', 'y:2'], clientId: 'busbar' }, pollIntervalMs: 250, limits: { maxVoltageV: 4.2 } });
    expect(Object.isFrozen(cfg.kafka)).toBe(true);
  });

  it('names every bad field', () => {
    const path = file('{"kafka": {"brokers": []}, "limits": {"maxVoltageV": 400}, "pollIntervalMs": -1}', 'json');
    let err: unknown;
    try {
      loadConfig(schema, { file: path, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.code).toBe('BB_CONFIG_INVALID');
    expect(ce.message).toContain('kafka.brokers:');
    expect(ce.message).toContain('limits.maxVoltageV:');
    expect(ce.message).toContain('pollIntervalMs:');
  });

  it('refuses a missing safety limit instead of defaulting it', () => {
    expect(() => loadConfig(schema, { env: { BUSBAR_KAFKA__BROKERS: '["a:1"]' } })).toThrow(/limits: /);
  });

  it('reports an unreadable or malformed file', () => {
    expect(() => loadConfig(schema, { file: '/nonexistent/busbar.yaml', env: {} })).toThrow(expect.objectContaining({ code: 'BB_CONFIG_UNREADABLE' }));
    expect(() => loadConfig(schema, { file: file('kafka: [unclosed'), env: {} })).toThrow(expect.objectContaining({ code: 'BB_CONFIG_UNREADABLE' }));
    expect(() => loadConfig(schema, { file: file('- a\n- b\n'), env: {} })).toThrow(/mapping at its top level/);
  });
});

/** Shaped like the alerter's configuration: the fields the review found misread from the environment. */
const serviceSchema = z.object({
  kafka: z.object({ brokers: z.array(z.string()).min(1), clientId: z.string().default('busbar') }),
  groupId: z.string().min(1).default('busbar-alerter'),
  email: z
    .object({
      smtp: z.object({ host: z.string(), port: z.number().int().default(25), secure: z.boolean().default(false), password: z.string().optional() }),
      from: z.string(),
      to: z.array(z.string()).min(1),
    })
    .optional(),
  rules: z.array(z.object({ id: z.string(), clear: z.number(), forMs: z.number().int().min(0).default(0) })).default([]),
  ports: z.array(z.number().int()).default([]),
  mode: z.enum(['1', '2']).default('1'),
  target: z.union([z.array(z.string()), z.number()]).optional(),
});

const serviceFile = [
  'kafka:',
  '  brokers: [file:9092]',
  'email:',
  '  smtp: { host: smtp.lab }',
  '  from: ops@lab',
  '  to: [ops@lab]',
  'rules:',
  '  - { id: hot, clear: 40, forMs: 100 }',
  '  - { id: cold, clear: 5 }',
  '',
].join('\n');

/** Loads `serviceSchema` from `serviceFile` with the given environment. */
function loadService(env: Record<string, string>): z.output<typeof serviceSchema> {
  return loadConfig(serviceSchema, { file: file(serviceFile), env });
}

/** The ConfigError a load throws (fails the test when it does not throw). */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('runtime > config > environment values read by the schema', () => {
  it.each([
    ['one broker, no comma', { BUSBAR_KAFKA__BROKERS: 'k1:9092' }, (c: ReturnType<typeof loadService>) => c.kafka.brokers, ['k1:9092']],
    ['brokers with spaces and empty items', { BUSBAR_KAFKA__BROKERS: ' k1:9092, ,k2:9092, ' }, (c: ReturnType<typeof loadService>) => c.kafka.brokers, ['k1:9092', 'k2:9092']],
    ['brokers as a JSON array', { BUSBAR_KAFKA__BROKERS: '["j1:1","j2:2"]' }, (c: ReturnType<typeof loadService>) => c.kafka.brokers, ['j1:1', 'j2:2']],
    ['one e-mail recipient', { BUSBAR_EMAIL__TO: 'a@x' }, (c: ReturnType<typeof loadService>) => c.email?.to, ['a@x']],
    ['numeric items of an array of strings stay strings', { BUSBAR_EMAIL__TO: '1234,true' }, (c: ReturnType<typeof loadService>) => c.email?.to, ['1234', 'true']],
    ['a numeric group id', { BUSBAR_GROUP_ID: '1234' }, (c: ReturnType<typeof loadService>) => c.groupId, '1234'],
    ['a group id reading true', { BUSBAR_GROUP_ID: 'true' }, (c: ReturnType<typeof loadService>) => c.groupId, 'true'],
    ['a group id reading null', { BUSBAR_GROUP_ID: 'null' }, (c: ReturnType<typeof loadService>) => c.groupId, 'null'],
    ['a quoted string keeps its quotes', { BUSBAR_GROUP_ID: '"g"' }, (c: ReturnType<typeof loadService>) => c.groupId, '"g"'],
    ['a password with commas', { BUSBAR_EMAIL__SMTP__PASSWORD: 'p,a,ss' }, (c: ReturnType<typeof loadService>) => c.email?.smtp.password, 'p,a,ss'],
    ['a password that is JSON', { BUSBAR_EMAIL__SMTP__PASSWORD: '[1,2]' }, (c: ReturnType<typeof loadService>) => c.email?.smtp.password, '[1,2]'],
    ['a sender with a comma', { BUSBAR_EMAIL__FROM: 'Busbar, Lab <x@y>' }, (c: ReturnType<typeof loadService>) => c.email?.from, 'Busbar, Lab <x@y>'],
    ['a number', { BUSBAR_EMAIL__SMTP__PORT: '2525' }, (c: ReturnType<typeof loadService>) => c.email?.smtp.port, 2525],
    ['a boolean', { BUSBAR_EMAIL__SMTP__SECURE: 'true' }, (c: ReturnType<typeof loadService>) => c.email?.smtp.secure, true],
    ['an array of numbers from commas', { BUSBAR_PORTS: '502, 503' }, (c: ReturnType<typeof loadService>) => c.ports, [502, 503]],
    ['an enum of numeric-looking strings', { BUSBAR_MODE: '2' }, (c: ReturnType<typeof loadService>) => c.mode, '2'],
    ['a union of array and number, given a number', { BUSBAR_TARGET: '7' }, (c: ReturnType<typeof loadService>) => c.target, 7],
    ['a union of array and number, given a word', { BUSBAR_TARGET: 'a,b' }, (c: ReturnType<typeof loadService>) => c.target, ['a', 'b']],
  ])('%s', (_name, env, pick, expected) => {
    expect(pick(loadService(env))).toEqual(expected);
  });

  it('a numeric segment sets one field of one array element, keeping the others', () => {
    const cfg = loadService({ BUSBAR_RULES__0__FOR_MS: '5000' });
    expect(cfg.rules).toEqual([
      { id: 'hot', clear: 40, forMs: 5000 },
      { id: 'cold', clear: 5, forMs: 0 },
    ]);
    expect(loadService({ BUSBAR_RULES__1__ID: '42' }).rules.map((r) => r.id)).toEqual(['hot', '42']);
  });

  it('an index equal to the length appends; an absent array is created', () => {
    const cfg = loadService({ BUSBAR_RULES__2__ID: 'new', BUSBAR_RULES__2__CLEAR: '1' });
    expect(cfg.rules.map((r) => r.id)).toEqual(['hot', 'cold', 'new']);
    const noFile = loadConfig(serviceSchema, { env: { BUSBAR_KAFKA__BROKERS: 'k:1', BUSBAR_RULES__0__ID: 'r', BUSBAR_RULES__0__CLEAR: '3' } });
    expect(noFile.rules).toEqual([{ id: 'r', clear: 3, forMs: 0 }]);
  });

  it('a whole section from JSON, then a deeper variable inside it, whatever the environment order', () => {
    const env = { BUSBAR_KAFKA__BROKERS: 'deep:1', BUSBAR_KAFKA: '{"brokers":["shallow:1"],"clientId":"c"}' };
    expect(loadService(env).kafka).toEqual({ brokers: ['deep:1'], clientId: 'c' });
  });

  it.each([
    ['an index past the end', { BUSBAR_RULES__5__FOR_MS: '1' }, /BUSBAR_RULES__5__FOR_MS: index 5 is past the end of rules \(2 item\(s\); the next index is 2\)/],
    ['a word for a number', { BUSBAR_EMAIL__SMTP__PORT: 'smtp' }, /email\.smtp\.port: Invalid input: expected number, received string \(from BUSBAR_EMAIL__SMTP__PORT\)/],
    ['a word for a boolean', { BUSBAR_EMAIL__SMTP__SECURE: 'yes' }, /email\.smtp\.secure: .*expected boolean.* \(from BUSBAR_EMAIL__SMTP__SECURE\)/],
    ['a word in an array of numbers', { BUSBAR_PORTS: '502,x' }, /ports\[1\]: .*expected number.* \(from BUSBAR_PORTS\)/],
    ['an empty list', { BUSBAR_EMAIL__TO: ' , ' }, /email\.to: .* \(from BUSBAR_EMAIL__TO\)/],
    ['a value outside an enum', { BUSBAR_MODE: '3' }, /mode: .* \(from BUSBAR_MODE\)/],
  ])('refuses %s with BB_CONFIG_INVALID naming the field and the variable', (_name, env, message) => {
    const err = configErrorOf(() => loadService(env));
    expect(err.code).toBe('BB_CONFIG_INVALID');
    expect(err.message).toMatch(message);
  });

  it('does not mention the environment for a bad value that came from the file', () => {
    const err = configErrorOf(() => loadConfig(serviceSchema, { file: file('kafka: { brokers: [] }\n'), env: { BUSBAR_GROUP_ID: 'g' } }));
    expect(err.message).toMatch(/kafka\.brokers: [^\n]*$/m);
    expect(err.message).not.toContain('(from');
  });
});

describe('runtime > config > variables that are not configuration', () => {
  it('ignores BUSBAR_CONFIG and BUSBAR_LOG_LEVEL, so a strict schema does not refuse them', () => {
    const schema = z.object({ a: z.number().default(1) }).strict();
    expect(loadConfig(schema, { env: { BUSBAR_CONFIG: '/etc/x.yaml', BUSBAR_LOG_LEVEL: 'debug' } })).toEqual({ a: 1 });
    expect(() => loadConfig(schema, { env: { BUSBAR_LOG_LEVL: 'debug' } })).toThrow(/logLevl/);
  });
});
