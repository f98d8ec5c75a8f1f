/**
 * examples/: a complete configuration per service for a small lab (two Modbus power supplies, an
 * Arbin, a Maccor, a Corus, a BaSyTec source and the safety rig; historian, alerter, commander),
 * each loaded through its service's own loader — a schema change these files do not follow fails
 * here. Secret and key paths are relative and their files exist, holding obviously fake values.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAlerterConfig } from '@busbar/alerter';
import { loadCollectorConfig as loadModbus } from '@busbar/collector-modbus';
import { loadCollectorConfig as loadRig } from '@busbar/collector-safety-rig';
import { loadCommanderConfig } from '@busbar/commander';
import { loadArbinCredentials } from '@busbar/driver-arbin-cti';
import { loadHistorianConfig } from '@busbar/historian';
import { loadCollectorConfig as loadArbin } from '../../services/collectors/arbin/src/config.js';
import { loadCollectorConfig as loadBasytec } from '../../services/collectors/basytec/src/config.js';
import { loadCollectorConfig as loadCorus } from '../../services/collectors/corus/src/config.js';
import { loadCollectorConfig as loadMaccor } from '../../services/collectors/maccor/src/config.js';

const EXAMPLES = resolve(fileURLToPath(new URL('../../examples', import.meta.url)));
const file = (name: string): string => join(EXAMPLES, `${name}.yaml`);
/** No BUSBAR_* overrides: the files alone. */
const env = {};

describe('examples', () => {
  it('holds one configuration per service', () => {
    const services = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
    expect(services).toEqual(['alerter', 'collector-arbin', 'collector-basytec', 'collector-corus', 'collector-maccor', 'collector-modbus', 'collector-safety-rig', 'commander', 'historian']);
  });

  it('every collector file loads with its devices', () => {
    const ids = (cfg: { devices: readonly { id: string }[] }): string[] => cfg.devices.map((d) => d.id);
    expect(ids(loadModbus(file('collector-modbus'), env))).toEqual(['psu-1', 'psu-2']);
    expect(ids(loadArbin(file('collector-arbin'), env))).toEqual(['arbin-1']);
    expect(ids(loadMaccor(file('collector-maccor'), env))).toEqual(['maccor-1']);
    expect(ids(loadCorus(file('collector-corus'), env))).toEqual(['corus-1']);
    expect(ids(loadBasytec(file('collector-basytec'), env))).toEqual(['basytec-1']);
    expect(ids(loadRig(file('collector-safety-rig'), env))).toEqual(['rig-1']);
    for (const [name, cfg] of Object.entries({ modbus: loadModbus(file('collector-modbus'), env), arbin: loadArbin(file('collector-arbin'), env) })) expect(cfg.kafka.brokers, name).toEqual(['kafka:9092']);
  });

  it('historian.yaml reads its InfluxDB token from the relative tokenFile', () => {
    const cfg = loadHistorianConfig(file('historian'), env);
    expect(cfg.influx.token).toBe('FAKE-influx-token-replace-me-0000000000000000');
  });

  it('alerter.yaml loads with its rules, the SMTP password, CA and webhook secrets read from relative files', () => {
    const cfg = loadAlerterConfig(file('alerter'), env);
    expect(cfg.rules.map((r) => r.id)).toEqual(['psu-overtemp', 'cell-overvoltage', 'rig-module-hot', 'gas-pressure-low']);
    expect(cfg.email?.smtp).toMatchObject({ host: 'smtp.lab.example', port: 587, requireTLS: true, rejectUnauthorized: true, user: 'busbar-alerts', password: 'FAKE-smtp-password-replace-me' });
    expect(cfg.email?.smtp.ca).toMatch(/^# FAKE example/);
    expect(cfg.webhooks[0]).toEqual({ url: 'https://pager.example.invalid/hooks/FAKE-TOKEN-replace-me', headers: { Authorization: 'Bearer FAKE-pager-token-replace-me' }, timeoutMs: 5000 });
  });

  it('alerter.yaml: the Slack and Opsgenie hooks read their templates from examples/alerter/ and their secrets from files', () => {
    const cfg = loadAlerterConfig(file('alerter'), env);
    const [, slack, opsgenie] = cfg.webhooks;
    expect(slack).toMatchObject({ name: 'slack', url: 'https://hooks.slack.com/services/TFAKE0000/BFAKE0000/FAKE-slack-hook-replace-me', template: readFileSync(join(EXAMPLES, 'alerter', 'slack.hbs'), 'utf8') });
    expect(opsgenie).toMatchObject({ name: 'opsgenie', url: 'https://api.opsgenie.com/v2/alerts', headers: { Authorization: 'GenieKey FAKE-opsgenie-api-key-replace-me' }, template: readFileSync(join(EXAMPLES, 'alerter', 'opsgenie.hbs'), 'utf8') });
  });

  it('commander.yaml loads every device file the collectors read, with the same devices', () => {
    const cfg = loadCommanderConfig(file('commander'), env);
    expect(cfg.modbus!.devices.map((d) => d.id)).toEqual(['psu-1', 'psu-2']);
    expect(cfg.modbus!.devices.map((d) => d.registerMap)).toEqual(loadModbus(file('collector-modbus'), env).devices.map((d) => d.registerMap));
    const sections = cfg as unknown as Record<string, { devices: readonly { id: string }[] } | undefined>;
    expect(Object.fromEntries(['arbin', 'maccor', 'corus', 'basytec', 'rig'].map((k) => [k, sections[k]?.devices.map((d) => d.id)]))).toEqual({ arbin: ['arbin-1'], maccor: ['maccor-1'], corus: ['corus-1'], basytec: ['basytec-1'], rig: ['rig-1'] });
  });

  it('the Arbin password file of the example is usable as ARBIN_CTI_PASSWORD_FILE', () => {
    const credentials = loadArbinCredentials({ ARBIN_CTI_USERNAME: 'busbar', ARBIN_CTI_PASSWORD_FILE: join(EXAMPLES, 'secrets', 'arbin-password.example') });
    expect(credentials).toMatchObject({ username: 'busbar', password: 'FAKE-arbin-password-replace-me' });
  });

  it('secret files are referenced by relative paths and hold only obviously fake values', () => {
    const texts = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(EXAMPLES, f), 'utf8'));
    for (const t of texts) for (const m of t.matchAll(/(?:File|file):\s*\{?\s*(?:file:\s*)?(\S+?)\s*\}?$/gm)) expect(m[1]!.startsWith('/'), m[0]).toBe(false);
    for (const f of readdirSync(join(EXAMPLES, 'secrets'))) expect(readFileSync(join(EXAMPLES, 'secrets', f), 'utf8'), f).toMatch(/FAKE/);
  });
});
