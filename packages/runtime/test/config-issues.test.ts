import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configPath, describeIssues, knownKeysAt, looseSections, suggestKey } from '../src/config-issues.js';

const schema = z
  .object({
    kafka: z.object({ brokers: z.array(z.string()), sasl: z.object({ mechanism: z.string(), username: z.string() }).strict().optional() }).strict(),
    topics: z.object({ readings: z.string() }).strict().default({ readings: 'r' }),
    devices: z.array(z.object({ id: z.string(), port: z.number().int().max(65535) }).strict()),
    to: z.array(z.string().min(3)).optional(),
    sink: z.union([z.object({ url: z.string() }).strict(), z.object({ path: z.string() }).strict()]).optional(),
  })
  .strict();

function lines(input: unknown): string[] {
  const r = schema.safeParse(input);
  if (r.success) return [];
  return describeIssues(schema, r.error.issues as never, input).map((d) => d.line);
}

const base = { kafka: { brokers: ['k:9092'] }, devices: [{ id: 'rack-1', port: 502 }] };

describe('runtime > config-issues > configPath', () => {
  it('names list items by id when they have one, by index otherwise, and the top level', () => {
    const input = { devices: [{ id: 'rack-1' }, { port: 1 }], to: ['a'] };
    expect(configPath(['devices', 0, 'port'], input)).toBe('devices[id=rack-1].port');
    expect(configPath(['devices', 1, 'port'], input)).toBe('devices[1].port');
    expect(configPath(['to', 0], input)).toBe('to[0]');
    expect(configPath(['kafka', 'sasl', 'mechanism'], input)).toBe('kafka.sasl.mechanism');
    expect(configPath([], input)).toBe('(top level)');
  });
});

describe('runtime > config-issues > describeIssues', () => {
  it.each([
    ['a misspelt top-level key', { ...base, topic: { readings: 'x' } }, 'topic: unknown key (did you mean "topics"?)'],
    ['a misspelt kafka key', { ...base, kafka: { brokers: ['k:1'], sals: {} } }, 'kafka.sals: unknown key (did you mean "sasl"?)'],
    ['a misspelt nested key', { ...base, kafka: { brokers: ['k:1'], sasl: { mechanism: 'PLAIN', username: 'u', usernme: 'u' } } }, 'kafka.sasl.usernme: unknown key (did you mean "username"?)'],
    ['a misspelt device key, by device id', { ...base, devices: [{ id: 'rack-1', port: 502, prot: 1 }] }, 'devices[id=rack-1].prot: unknown key (did you mean "port"?)'],
    ['a key of a union option', { ...base, sink: { url: 'x', pth: 'y' } }, 'sink.pth: unknown key (did you mean "path"?)'],
    ['a key far from every known one', { ...base, colour: 'red' }, 'colour: unknown key (known keys: kafka, topics, devices, to, sink)'],
    ['a bad device value, by device id', { ...base, devices: [{ id: 'rack-1', port: 70000 }] }, 'devices[id=rack-1].port: Too big: expected number to be <=65535'],
    ['a bad list item without id, by index', { ...base, to: ['ok@x', 'a'] }, 'to[1]: Too small: expected string to have >=3 characters'],
  ])('names %s', (_what, input, line) => {
    expect(lines(input)).toEqual([line]);
  });

  it('lists every unknown key of one section on its own line', () => {
    expect(lines({ ...base, topic: 1, brokers: 2 })).toEqual(['topic: unknown key (did you mean "topics"?)', 'brokers: unknown key (known keys: kafka, topics, devices, to, sink)']);
  });
});

describe('runtime > config-issues > knownKeysAt and suggestKey', () => {
  it('finds the keys of a section through defaults, optionals, arrays and unions', () => {
    expect(knownKeysAt(schema, ['topics'])).toEqual(['readings']);
    expect(knownKeysAt(schema, ['devices', 0])).toEqual(['id', 'port']);
    expect(knownKeysAt(schema, ['sink'])).toEqual(['url', 'path']);
    expect(knownKeysAt(schema, ['no-such'])).toEqual([]);
  });

  it('suggests only near keys', () => {
    expect(suggestKey('topic', ['kafka', 'topics'])).toBe('topics');
    expect(suggestKey('devicesFle', ['devices', 'devicesFile'])).toBe('devicesFile');
    expect(suggestKey('zzz', ['kafka', 'topics'])).toBeUndefined();
    expect(suggestKey('x', [])).toBeUndefined();
  });
});

describe('runtime > config-issues > looseSections', () => {
  it('is empty for a schema strict in every section (a typed catchall counts as strict)', () => {
    expect(looseSections(schema)).toEqual([]);
    expect(looseSections(z.object({ templates: z.object({ start: z.string() }).strict().catchall(z.string()) }).strict())).toEqual([]);
  });

  it('names every section that would pass or drop unknown keys, through lists, unions and defaults', () => {
    const loose = z
      .object({
        ops: z.object({ port: z.number() }).default({ port: 1 }),
        devices: z.array(z.object({ id: z.string(), extra: z.looseObject({}) }).strict()),
        sink: z.union([z.object({ url: z.string() }).strict(), z.object({ path: z.string() })]),
        any: z.object({}).catchall(z.unknown()).strict().optional(),
      });
    expect(looseSections(loose)).toEqual(['(top level)', 'ops', 'devices[].extra', 'sink']);
  });
});
