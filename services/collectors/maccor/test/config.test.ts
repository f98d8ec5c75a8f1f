import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../src/config.js';

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'busbar-maccor-cfg-'));
}

describe('collector-maccor > config', () => {
  it('reads the testers from the device file the commander reads too, with the module defaults (ops port 9469)', () => {
    const dir = folder();
    writeFileSync(join(dir, 'maccor-devices.yaml'), ['devices:', '  - id: mac-1', '    host: 10.0.0.7', '    channels: 8'].join('\n'));
    writeFileSync(join(dir, 'collector.yaml'), 'kafka: { brokers: ["127.0.0.1:9092"] }\ndevicesFile: maccor-devices.yaml\n');
    const cfg = loadCollectorConfig(join(dir, 'collector.yaml'), {});
    expect(cfg.ops.port).toBe(9469);
    expect(cfg.devices).toHaveLength(1);
    expect(cfg.devices[0]).toMatchObject({ id: 'mac-1', host: '10.0.0.7', channels: 8, jsonPort: 57570, pollIntervalMs: 1000, session: 'exclusive', preflight: 'required' });
  });

  it('names the bad field, inline or in the device file, and wants exactly one of devices / devicesFile', () => {
    const dir = folder();
    writeFileSync(join(dir, 'inline.yaml'), 'kafka: { brokers: ["k:1"] }\ndevices:\n  - { id: a, host: h, channels: 0 }\n');
    expect(() => loadCollectorConfig(join(dir, 'inline.yaml'), {})).toThrow(/devices\[id=a\]\.channels/);
    writeFileSync(join(dir, 'bad-devices.yaml'), 'devices:\n  - { id: a, host: h, channels: 2, directControl: { watchdogMs: 1000 } }\n');
    writeFileSync(join(dir, 'file.yaml'), 'kafka: { brokers: ["k:1"] }\ndevicesFile: bad-devices.yaml\n');
    expect(() => loadCollectorConfig(join(dir, 'file.yaml'), {})).toThrow(/devicesFile .*bad-devices\.yaml:\s+devices\[id=a\]\.directControl\.testerWatchdogS: testerWatchdogS is required/);
    writeFileSync(join(dir, 'none.yaml'), 'kafka: { brokers: ["k:1"] }\n');
    expect(() => loadCollectorConfig(join(dir, 'none.yaml'), {})).toThrow(/give exactly one of devices/);
  });
});
