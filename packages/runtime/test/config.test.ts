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
