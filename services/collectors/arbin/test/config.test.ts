import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../src/config.js';

function write(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'busbar-arbin-cfg-')), 'collector.yaml');
  writeFileSync(p, text);
  return p;
}

describe('collector-arbin > config', () => {
  it('reads the cyclers with the shared device schema and its defaults (ops port 9468)', () => {
    const cfg = loadCollectorConfig(write([
      'kafka: { brokers: ["127.0.0.1:9092"] }',
      'devices:',
      '  - id: arbin-1',
      '    host: 10.0.0.5',
      '    channels: [1, 2]',
      '    metaVariables: [{ mv: 1, name: charge_current_a, unit: A, min: 0, max: 2 }]',
    ].join('\n')), {});
    expect(cfg.ops.port).toBe(9468);
    expect(cfg.devices[0]).toMatchObject({ id: 'arbin-1', host: '10.0.0.5', port: 9031, channels: [1, 2], pollIntervalMs: 1000, readMode: 'per-channel', session: 'exclusive' });
  });

  it('names the bad field, and has no credentials field (they come from the environment)', () => {
    expect(() => loadCollectorConfig(write('kafka: { brokers: ["k:1"] }\ndevices:\n  - { id: a, host: h, port: 0 }\n'), {})).toThrow(/devices\[id=a\]\.port/);
    expect(() => loadCollectorConfig(write('kafka: { brokers: ["k:1"] }\ndevices:\n  - { id: a, host: h, password: secret }\n'), {})).toThrow(/devices\[id=a\]\.password: unknown key/);
  });
});
