import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkConfigFile } from '../src/check.js';
import { loadConfig } from '../src/config.js';
import type { ConfigError } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'busbar-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const kafka = z.object({ brokers: z.array(z.string()) }).strict();
const loaders = {
  historian: (f: string, env: NodeJS.ProcessEnv) => loadConfig(z.object({ kafka, influx: z.object({ url: z.string(), bucket: z.string() }).strict() }).strict(), { file: f, env }),
  alerter: (f: string, env: NodeJS.ProcessEnv) => loadConfig(z.object({ kafka, rules: z.array(z.object({ id: z.string(), clear: z.number() }).strict()) }).strict(), { file: f, env }),
};

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('runtime > check > checkConfigFile', () => {
  it('detects the service a valid file is for', () => {
    const f = file('h.yaml', 'kafka: { brokers: [k:9092] }\ninflux: { url: http://i, bucket: b }\n');
    expect(checkConfigFile(f, loaders)).toEqual({ service: 'historian', config: { kafka: { brokers: ['k:9092'] }, influx: { url: 'http://i', bucket: 'b' } }, alsoValidFor: [] });
  });

  it('reports the closest service\'s problems when none accepts the file, naming the field', () => {
    const f = file('a.yaml', 'kafka: { brokers: [k:9092] }\nrules: [{ id: cell-temp, clear: x }]\n');
    const err = failure(() => checkConfigFile(f, loaders));
    expect(err.code).toBe('BB_CONFIG_INVALID');
    expect(err.message).toContain('not a valid configuration of any service; closest: alerter');
    expect(err.message).toContain('rules[id=cell-temp].clear: Invalid input: expected number');
  });

  it('checks as the named service, with its own error', () => {
    const f = file('t.yaml', 'kafka: { brokers: [k:9092] }\ntopic: {}\ninflux: { url: http://i, bucket: b }\n');
    const err = failure(() => checkConfigFile(f, loaders, { service: 'historian' }));
    expect(err.code).toBe('BB_CONFIG_INVALID');
    expect(err.message).toContain('topic: unknown key (known keys: kafka, influx)');
  });

  it('applies the environment only when given', () => {
    const f = file('e.yaml', 'influx: { url: http://i, bucket: b }\n');
    expect(() => checkConfigFile(f, loaders, { service: 'historian' })).toThrow(/kafka: /);
    expect(checkConfigFile(f, loaders, { service: 'historian', env: { BUSBAR_KAFKA__BROKERS: 'k:1' } }).service).toBe('historian');
  });

  it('refuses an unknown service name, and an unreadable file at once', () => {
    const err = failure(() => checkConfigFile(file('x.yaml', '{}'), loaders, { service: 'histrian' }));
    expect(err.code).toBe('BB_CONFIG_SERVICE_UNKNOWN');
    expect(err.message).toBe('unknown service "histrian"; one of historian, alerter');
    expect(failure(() => checkConfigFile(join(dir, 'missing.yaml'), loaders)).code).toBe('BB_CONFIG_UNREADABLE');
  });
});
