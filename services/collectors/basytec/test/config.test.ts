import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../src/config.js';

function write(name: string, text: string, dir = mkdtempSync(join(tmpdir(), 'busbar-basytec-cfg-'))): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('collector-basytec > config', () => {
  it('reads the testers from the device file shared with the commander, paths relative to it (ops port 9473)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-basytec-cfg-'));
    write('basytec-devices.yaml', 'devices:\n  - { id: bt-1, timeZone: Europe/Berlin, resultFiles: { dir: export }, cursorFile: state/bt-1.json }\n', dir);
    const cfg = loadCollectorConfig(write('collector.yaml', 'kafka: { brokers: ["127.0.0.1:9092"] }\ndevicesFile: basytec-devices.yaml\n', dir), {});
    expect(cfg.ops.port).toBe(9473);
    expect(cfg.devices[0]).toMatchObject({ id: 'bt-1', pollIntervalMs: 1000, session: 'exclusive', resultFiles: { dir: join(dir, 'export') }, cursorFile: join(dir, 'state/bt-1.json') });
  });

  it('names the bad field', () => {
    expect(() => loadCollectorConfig(write('c.yaml', 'kafka: { brokers: ["k:1"] }\ndevices:\n  - { id: a, timeZone: UTC }\n'), {})).toThrow(/devices\[id=a\]\.resultFiles: configure at least one source/);
    expect(() => loadCollectorConfig(write('c.yaml', 'kafka: { brokers: ["k:1"] }\ndevices:\n  - { id: a, timeZone: UTC, resultFiles: { dir: x }, pollIntervalMs: 1 }\n'), {})).toThrow(/devices\[id=a\]\.pollIntervalMs/);
  });

  it('accepts the example device file of the protocol page (packages/drivers/basytec/README.md)', () => {
    const page = readFileSync(new URL('../../../../packages/drivers/basytec/README.md', import.meta.url), 'utf8');
    const example = /# basytec-devices\.yaml[^\n]*\n([\s\S]*?)```/.exec(page)?.[1];
    expect(example).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'busbar-basytec-cfg-'));
    write('basytec-devices.yaml', example!, dir);
    const cfg = loadCollectorConfig(write('collector.yaml', 'kafka: { brokers: ["127.0.0.1:9092"] }\ndevicesFile: basytec-devices.yaml\n', dir), {});
    expect(cfg.devices[0]).toMatchObject({ id: 'basytec-lab1', database: { engine: 'postgres', passwordEnv: 'BASYTEC_DB_PASSWORD' }, rci: { terminator: '\r\n', plans: ['capacity.pln', 'pulse.pln'] } });
  });
});
