import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../src/logger.js';

/** A logger writing into memory, and its lines as raw text. */
function capture(level = 'debug') {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const logger = createLogger({ service: 'svc', level, destination: out });
  return { logger, lines: (): string[] => chunks.join('').split('\n').filter((l) => l !== '') };
}

/** Top-level keys of a JSON object line, in order, duplicates kept (JSON.parse would hide them). */
function keysOf(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && line[j + 1] === ':') keys.push(JSON.parse(line.slice(i, j + 1)) as string);
      i = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return keys;
}

describe('runtime > logger', () => {
  it('writes the level as a string and the time as ISO 8601', () => {
    const { logger, lines } = capture();
    logger.info({ a: 1 }, 'hello');
    logger.warn({}, 'careful');
    const [info, warn] = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(info).toMatchObject({ level: 'info', service: 'svc', a: 1, msg: 'hello' });
    expect(info!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(warn).toMatchObject({ level: 'warn', msg: 'careful' });
  });

  it('cuts every URL to scheme://host/… in fields, nested fields, errors and the message', () => {
    const { logger, lines } = capture();
    const hook = 'https://hooks.slack.com/services/T000/B000/sekret-token-1';
    logger.error({ url: hook, nested: { target: `${hook}?x=1`, list: [hook] }, err: new Error(`POST ${hook} failed`) }, `webhook ${hook} failed`);
    const line = lines()[0]!;
    expect(line).not.toContain('sekret-token-1');
    const parsed = JSON.parse(line) as { url: string; nested: { target: string; list: string[] }; err: { message: string }; msg: string };
    expect(parsed.url).toBe('https://hooks.slack.com/…');
    expect(parsed.nested).toEqual({ target: 'https://hooks.slack.com/…', list: ['https://hooks.slack.com/…'] });
    expect(parsed.err.message).toBe('POST https://hooks.slack.com/… failed');
    expect(parsed.err).toMatchObject({ type: 'Error' });
    expect(parsed.msg).toBe('webhook https://hooks.slack.com/… failed');
  });

  it('keeps the error type and redacts URLs in an error cause and in errors under other keys', () => {
    const { logger, lines } = capture();
    class HookError extends Error {}
    const cause = new Error('connect to https://pager.test/key/abc123 refused');
    logger.warn({ err: new HookError('hook failed', { cause }), other: new Error('see https://pager.test/key/abc123') }, 'x');
    const line = lines()[0]!;
    expect(line).not.toContain('abc123');
    const parsed = JSON.parse(line) as { err: { type: string; message: string }; other: { type: string; message: string } };
    expect(parsed.err.type).toBe('HookError');
    expect(parsed.err.message).toBe('hook failed: connect to https://pager.test/… refused');
    expect(parsed.other).toMatchObject({ type: 'Error', message: 'see https://pager.test/…' });
  });

  it('redacts credentials by path: password, token, headers', () => {
    const { logger, lines } = capture();
    logger.info({ password: 'p1', token: 't1', smtp: { password: 'p2' }, headers: { Authorization: 'Bearer b1' } }, 'config');
    const line = lines()[0]!;
    for (const secret of ['p1', 't1', 'p2', 'b1']) expect(line).not.toContain(`"${secret}"`);
    expect(line).not.toContain('Bearer');
    expect(JSON.parse(line)).toMatchObject({ password: '[redacted]', token: '[redacted]', smtp: { password: '[redacted]' }, headers: '[redacted]' });
  });

  it('writes a key once per line: a child binding or a field the parent already carries with the same value is dropped', () => {
    const { logger, lines } = capture();
    const device = logger.child({ device: 'psu-1' });
    device.child({ component: 'modbus', device: 'psu-1' }).warn({ device: 'psu-1', code: 'X' }, 'lost');
    for (const line of lines()) {
      const keys = keysOf(line);
      expect(new Set(keys).size, line).toBe(keys.length);
    }
    expect(JSON.parse(lines()[0]!)).toMatchObject({ device: 'psu-1', component: 'modbus', code: 'X', level: 'warn' });
  });

  it('lets an inner binding or a call field replace the outer value of the same key, once per line', () => {
    const { logger, lines } = capture();
    const rig = logger.child({ device: 'rig-1' });
    rig.child({ component: 'modbus', device: 'rig-1/pcs' }).info({ point: 'op_mode' }, 'modbus write');
    rig.info({ device: 'rig-1/arduino' }, 'arduino open');
    rig.info({}, 'rig poll');
    for (const line of lines()) {
      const keys = keysOf(line);
      expect(new Set(keys).size, line).toBe(keys.length);
    }
    expect(lines().map((l) => (JSON.parse(l) as { device: string }).device)).toEqual(['rig-1/pcs', 'rig-1/arduino', 'rig-1']);
  });

  it('keeps the lines below the level out', () => {
    const { logger, lines } = capture('warn');
    logger.info({}, 'not shown');
    logger.debug({}, 'not shown');
    logger.error({}, 'shown');
    expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });
});

describe('runtime > logger > redactUrl', () => {
  it.each([
    ['https://hooks.slack.com/services/T0/B0/xyz', 'https://hooks.slack.com/…'],
    ['https://events.pagerduty.com/v2/enqueue?routing_key=abc', 'https://events.pagerduty.com/…'],
    ['http://user:pw@relay.lab:8080', 'http://relay.lab:8080/…'],
    ['http://127.0.0.1:8086', 'http://127.0.0.1:8086'],
    ['http://127.0.0.1:8086/', 'http://127.0.0.1:8086/'],
    ['influx at http://influx:8086/api/v2/write?token=z and kafka 127.0.0.1:9092', 'influx at http://influx:8086/… and kafka 127.0.0.1:9092'],
    ['no url here', 'no url here'],
    ['at mismatch (file:///srv/busbar/services/alerter/dist/x.js:3:9)', 'at mismatch (file:///srv/busbar/services/alerter/dist/x.js:3:9)'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});
