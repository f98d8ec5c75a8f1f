/** Collector configuration: same device list as the commander's, maps resolved relative to the file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CORUS_MAP } from '@busbar/driver-itron-corus';
import { loadCollectorConfig } from '../src/config.js';

describe('collector-corus > config', () => {
  it('resolves mapFile and stateDir relative to the configuration file, with defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'corus-cfg-'));
    writeFileSync(join(dir, 'corus.map.json'), JSON.stringify(EXAMPLE_CORUS_MAP));
    const file = join(dir, 'collector.yaml');
    writeFileSync(file, ['kafka: { brokers: ["127.0.0.1:9092"] }', 'stateDir: state', 'devices:', '  - { id: corus-1, connection: { kind: tcp, host: 127.0.0.1, port: 4001 }, mapFile: corus.map.json, pollParameters: [volume_converted_m3, pressure_bar] }'].join('\n'));
    const cfg = loadCollectorConfig(file, {});
    expect(cfg.ops.port).toBe(9470);
    expect(cfg.stateDir).toBe(join(dir, 'state'));
    const [d] = cfg.devices;
    expect(d).toMatchObject({ id: 'corus-1', pollNames: ['volume_converted_m3', 'pressure_bar'], logNames: ['interval'], timeZone: 'UTC', pollIntervalMs: 60_000, logChunkS: 21_600, logs: { lookbackS: 604_800, intervalMs: 60_000, rescanS: 900 } });
    expect(d!.corusMap.mapId).toBe('b0040');
  });

  it('takes the devices from a devices file shared with the commander', () => {
    const dir = mkdtempSync(join(tmpdir(), 'corus-cfg-'));
    writeFileSync(join(dir, 'corus.map.json'), JSON.stringify(EXAMPLE_CORUS_MAP));
    writeFileSync(join(dir, 'corus-devices.yaml'), ['devices:', '  - { id: corus-1, connection: { kind: tcp, host: 127.0.0.1, port: 4001 }, mapFile: corus.map.json }'].join('\n'));
    const file = join(dir, 'collector.yaml');
    writeFileSync(file, ['kafka: { brokers: ["127.0.0.1:9092"] }', 'devicesFile: corus-devices.yaml'].join('\n'));
    const cfg = loadCollectorConfig(file, {});
    expect(cfg.stateDir).toBe(join(dir, 'state', 'collector-corus'));
    expect(cfg.devices.map((d) => [d.id, d.corusMap.mapId])).toEqual([['corus-1', 'b0040']]);
    expect(loadCollectorConfig(file, { BUSBAR_STATE_DIR: '/var/lib/busbar/collector-corus' }).stateDir).toBe('/var/lib/busbar/collector-corus'); // deploy/README.md
    writeFileSync(file, ['kafka: { brokers: ["127.0.0.1:9092"] }', 'devicesFile: corus-devices.yaml', 'stateDirectory: x'].join('\n'));
    expect(() => loadCollectorConfig(file, {})).toThrow(/stateDirectory/);
  });

  it('names the bad field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'corus-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, ['kafka: { brokers: ["127.0.0.1:9092"] }', 'devices:', '  - { id: corus-1, connection: { kind: tcp, host: h, port: 1 }, mapFile: corus.map.json, logs: { names: [hourly] } }'].join('\n'));
    expect(() => loadCollectorConfig(file, {})).toThrow(/devices\[id=corus-1\]\.mapFile: cannot read/);
    writeFileSync(join(dir, 'corus.map.json'), JSON.stringify(EXAMPLE_CORUS_MAP));
    expect(() => loadCollectorConfig(file, {})).toThrow(/devices\[id=corus-1\]\.logs\.names\[0\]: "hourly" is not a log of map b0040 \(configured: interval\)/);
    writeFileSync(join(dir, 'corus.map.json'), JSON.stringify({ ...EXAMPLE_CORUS_MAP, mapId: 'not valid!' }));
    expect(() => loadCollectorConfig(file, {})).toThrow(/devices\[0\] \(corus-1\) mapFile corus\.map\.json: invalid Corus map: mapId/);
  });
});
