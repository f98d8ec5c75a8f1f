/**
 * Strict configuration everywhere (issue 11): every section of every service's file refuses an
 * unknown key, naming its path (list items by id) and the nearest known key; `checkConfigFile`
 * validates any service's file, named or detected. The loaders are the services' own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { checkConfigFile, looseSections } from '@busbar/runtime';
import type { ConfigLoader } from '@busbar/runtime';
import { alerterConfigSchema, loadAlerterConfig } from '@busbar/alerter';
import { commanderConfigSchema, loadCommanderConfig } from '@busbar/commander';
import { historianConfigSchema, loadHistorianConfig } from '@busbar/historian';
import { collectorConfigSchema as modbusSchema, loadCollectorConfig as loadModbus } from '@busbar/collector-modbus';
import { collectorConfigSchema as arbinSchema, loadCollectorConfig as loadArbin } from '@busbar/collector-arbin';
import { collectorConfigSchema as maccorSchema, loadCollectorConfig as loadMaccor } from '@busbar/collector-maccor';
import { collectorConfigSchema as corusSchema, loadCollectorConfig as loadCorus } from '@busbar/collector-corus';
import { collectorConfigSchema as basytecSchema, loadCollectorConfig as loadBasytec } from '@busbar/collector-basytec';
import { loadCollectorConfig as loadRig } from '@busbar/collector-safety-rig';
import { collectorConfigSchema } from '@busbar/collector-kit';
import { safetyRigModule } from '@busbar/module-safety-rig';

const SCHEMAS: Record<string, z.ZodType> = {
  historian: historianConfigSchema,
  alerter: alerterConfigSchema,
  commander: commanderConfigSchema,
  'collector-modbus': modbusSchema,
  'collector-arbin': arbinSchema,
  'collector-maccor': maccorSchema,
  'collector-corus': corusSchema,
  'collector-basytec': basytecSchema,
  'collector-safety-rig': collectorConfigSchema(safetyRigModule, 9475),
};

/** The registry `busbar config check` wires: every service's own loader. */
const LOADERS: Record<string, ConfigLoader> = {
  historian: loadHistorianConfig,
  alerter: loadAlerterConfig,
  commander: loadCommanderConfig,
  'collector-modbus': loadModbus,
  'collector-arbin': loadArbin,
  'collector-maccor': loadMaccor,
  'collector-corus': loadCorus,
  'collector-basytec': loadBasytec,
  'collector-safety-rig': loadRig,
};

const dir = mkdtempSync(join(tmpdir(), 'busbar-strict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function write(config: unknown): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, stringify(config));
  return path;
}

const kafka = { brokers: ['127.0.0.1:9092'] };
const psu = { id: 'rack-1', connection: { kind: 'tcp', host: '127.0.0.1', port: 1502 }, map: { points: [{ name: 'voltage_v', type: 'input', address: 0, dataType: 'float32' }] } };
const VALID: Record<string, Record<string, unknown>> = {
  historian: { kafka, influx: { url: 'http://127.0.0.1:8086', org: 'lab', bucket: 'busbar', token: 't' } },
  alerter: { kafka, rules: [{ id: 'cell-temp', signal: 'temperature_c', critical: 60, clear: 55 }], email: { smtp: { host: 'mail' }, from: 'busbar@lab', to: ['ops@lab'] } },
  commander: { kafka, modbus: { devices: [psu] } },
  'collector-modbus': { kafka, devices: [psu] },
};

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe('BB_CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected BB_CONFIG_INVALID');
}

describe('configuration > strict everywhere', () => {
  it.each(Object.keys(SCHEMAS))('%s: no section of the file accepts an unknown key', (service) => {
    expect(looseSections(SCHEMAS[service]!)).toEqual([]);
  });

  it.each(Object.keys(VALID))('%s: the valid example loads', (service) => {
    expect(() => LOADERS[service]!(write(VALID[service]), {})).not.toThrow();
  });

  // each case: the service, a change to its valid file, and the line the error must hold
  const CASES: [string, string, (c: Record<string, unknown>) => void, string][] = [
    ['historian', 'a misspelt top-level topics', (c) => (c['topic'] = { readings: 'x' }), 'topic: unknown key (did you mean "topics"?)'],
    ['alerter', 'a misspelt top-level topics', (c) => (c['topic'] = { readings: 'x' }), 'topic: unknown key (did you mean "topics"?)'],
    ['commander', 'a misspelt top-level topics', (c) => (c['topic'] = { readings: 'x' }), 'topic: unknown key (did you mean "topics"?)'],
    ['collector-modbus', 'a misspelt top-level topics', (c) => (c['topic'] = { readings: 'x' }), 'topic: unknown key (did you mean "topics"?)'],
    ['historian', 'kafka.ssl misspelt', (c) => (c['kafka'] = { ...kafka, sll: true }), 'kafka.sll: unknown key (did you mean "ssl"?)'],
    ['commander', 'a key in kafka.sasl', (c) => (c['kafka'] = { ...kafka, sasl: { mechanism: 'PLAIN', username: 'u', passwordFile: 'pw', pasword: 'x' } }), 'kafka.sasl.pasword: unknown key (known keys: mechanism, username, passwordFile)'],
    ['alerter', 'a key in kafka.avro', (c) => (c['kafka'] = { ...kafka, avro: { framming: 'confluent' } }), 'kafka.avro.framming: unknown key (did you mean "framing"?)'],
    ['collector-modbus', 'a key in topics', (c) => (c['topics'] = { reading: 'x' }), 'topics.reading: unknown key (did you mean "readings"?)'],
    ['historian', 'a key in ops', (c) => (c['ops'] = { prot: 1 }), 'ops.prot: unknown key (did you mean "port"?)'],
    ['alerter', 'a key in ops', (c) => (c['ops'] = { hots: 'x' }), 'ops.hots: unknown key (did you mean "host"?)'],
    ['commander', 'a key in ops', (c) => (c['ops'] = { prot: 1 }), 'ops.prot: unknown key (did you mean "port"?)'],
    ['collector-modbus', 'a key in ops', (c) => (c['ops'] = { prot: 1 }), 'ops.prot: unknown key (did you mean "port"?)'],
    ['historian', 'a key in influx', (c) => (c['influx'] = { ...(c['influx'] as object), bukcet: 'b' }), 'influx.bukcet: unknown key (did you mean "bucket"?)'],
    ['alerter', 'a key in a rule, by rule id', (c) => (c['rules'] = [{ id: 'cell-temp', signal: 'temperature_c', critical: 60, clear: 55, for: 1 }]), 'rules[id=cell-temp].for: unknown key (did you mean "forMs"?)'],
    ['alerter', 'a key in email.smtp', (c) => (c['email'] = { smtp: { host: 'mail', prot: 25 }, from: 'busbar@lab', to: ['ops@lab'] }), 'email.smtp.prot: unknown key (did you mean "port"?)'],
    ['alerter', 'a key in a webhook, by index', (c) => (c['webhooks'] = [{ url: 'https://hooks/x', timeout: 1 }]), 'webhooks[0].timeout: unknown key (did you mean "timeoutMs"?)'],
    ['alerter', 'a key in outbox', (c) => (c['outbox'] = { pth: 'x' }), 'outbox.pth: unknown key (did you mean "path"?)'],
    ['alerter', 'a key in state', (c) => (c['state'] = { topik: 'x' }), 'state.topik: unknown key (did you mean "topic"?)'],
    ['commander', 'a key in journal', (c) => (c['journal'] = { pth: 'x' }), 'journal.pth: unknown key (did you mean "path"?)'],
    ['commander', 'a key in a protocol section', (c) => (c['modbus'] = { devices: [psu], devicesFle: 'x' }), 'modbus.devicesFle: unknown key (did you mean "devicesFile"?)'],
    ['commander', 'a key in a device, by device id', (c) => (c['modbus'] = { devices: [{ ...psu, sesion: 'shared' }] }), 'modbus.devices[id=rack-1].sesion: unknown key (did you mean "session"?)'],
    ['collector-modbus', 'a key in a device, by device id', (c) => (c['devices'] = [{ ...psu, pollIntervalMS: 100 }]), 'devices[id=rack-1].pollIntervalMS: unknown key (did you mean "pollIntervalMs"?)'],
    ['collector-modbus', 'a key in a device connection, by device id', (c) => (c['devices'] = [{ ...psu, connection: { ...psu.connection, hots: 'x' } }]), 'devices[id=rack-1].connection.hots: unknown key (did you mean "host"?)'],
    ['collector-modbus', 'a bad value in a device, by device id', (c) => (c['devices'] = [{ ...psu, connection: { ...psu.connection, port: 70000 } }]), 'devices[id=rack-1].connection.port: '],
    ['collector-modbus', 'a key in buffer', (c) => (c['buffer'] = { maxByte: 1 }), 'buffer.maxByte: unknown key (did you mean "maxBytes"?)'],
  ];

  it.each(CASES)('%s refuses %s, naming its path', (service, _what, change, line) => {
    const config = structuredClone(VALID[service]!);
    change(config);
    expect(message(() => LOADERS[service]!(write(config), {}))).toContain(`\n  ${line}`);
  });

  it('names the device by id in a devices file too', () => {
    const devicesFile = join(dir, 'modbus-devices.yaml');
    writeFileSync(devicesFile, stringify({ devices: [psu, { ...psu, id: 'rack-2', conection: {} }] }));
    const text = message(() => loadModbus(write({ kafka, devicesFile }), {}));
    expect(text).toContain(`devicesFile ${devicesFile}:`);
    expect(text).toContain('devices[id=rack-2].conection: unknown key (did you mean "connection"?)');
  });
});

describe('configuration > checkConfigFile with every service', () => {
  it.each(Object.keys(VALID))('detects a %s file', (service) => {
    expect(checkConfigFile(write(VALID[service]), LOADERS).service).toBe(service);
  });

  it('reports the closest service for a file no service accepts, with its named fields', () => {
    const text = message(() => checkConfigFile(write({ ...VALID['historian'], topic: {} }), LOADERS));
    expect(text).toContain('not a valid configuration of any service; closest: historian');
    expect(text).toContain('topic: unknown key (did you mean "topics"?)');
  });

  it('checks as the service it is told', () => {
    expect(message(() => checkConfigFile(write(VALID['historian']), LOADERS, { service: 'alerter' }))).toContain('influx: unknown key');
  });
});
