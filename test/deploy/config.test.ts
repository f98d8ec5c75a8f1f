/**
 * deploy/config/*.yaml, the configuration files Compose, the Helm chart and the systemd units
 * deploy, loaded through each service's own exported loader: a change of a service's configuration
 * schema that these files do not follow fails here rather than at a site.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAlerterConfig } from '@busbar/alerter';
import { loadCollectorConfig } from '@busbar/collector-modbus';
import { loadCommanderConfig } from '@busbar/commander';
import { loadHistorianConfig } from '@busbar/historian';
import { parseTopicsArgs } from '@busbar/topics';
import { CONFIG_DIR, SERVICES } from './support.js';

const file = (name: string): string => join(CONFIG_DIR, `${name}.yaml`);
const token = join(mkdtempSync(join(tmpdir(), 'busbar-config-')), 'influx-token');
writeFileSync(token, 'a-token\n');
// the historian's tokenFile is a mounted secret (/run/secrets/influx-token): point it at a file here
const env = { BUSBAR_INFLUX__TOKEN_FILE: token };

describe('deploy/config', () => {
  it('holds exactly one file per deployed service (and the shared maps)', () => {
    const yamls = readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
    expect(yamls).toEqual(Object.keys(SERVICES).sort());
  });

  it('collector-modbus.yaml loads, with the register map of maps/power-supply.yaml resolved', () => {
    const cfg = loadCollectorConfig(file('collector-modbus'), {});
    expect(cfg.kafka.brokers).toEqual(['kafka:9092']);
    expect(cfg.ops).toEqual({ host: '0.0.0.0', port: SERVICES['collector-modbus'].opsPort });
    expect(cfg.devices.map((d) => d.id)).toEqual(['psu-1']);
    expect(cfg.devices[0]!.registerMap.points.some((p) => p.name === 'voltage_setpoint_v')).toBe(true);
  });

  it('historian.yaml loads with the token read from its tokenFile', () => {
    const cfg = loadHistorianConfig(file('historian'), env);
    expect(cfg.influx).toMatchObject({ url: 'http://influxdb:8086', org: 'busbar', bucket: 'busbar', token: 'a-token', tokenFile: token });
    expect(cfg.ops.port).toBe(SERVICES.historian.opsPort);
    // without the override it reads the secret path the deployments mount
    expect(() => loadHistorianConfig(file('historian'), {})).toThrow(/influx.tokenFile: cannot read \/run\/secrets\/influx-token/);
  });

  it('alerter.yaml and commander.yaml load; the commander enforces the collector\'s map', () => {
    const alerter = loadAlerterConfig(file('alerter'), {});
    expect(alerter.rules.map((r) => `${r.id}:${r.type}`)).toEqual(['psu-overtemp:threshold', 'device-down:disconnect', 'device-silent:no_data']);
    expect(alerter.ops.port).toBe(SERVICES.alerter.opsPort);
    const commander = loadCommanderConfig(file('commander'), {});
    const collector = loadCollectorConfig(file('collector-modbus'), {});
    expect(commander.ops.port).toBe(SERVICES.commander.opsPort);
    expect(commander.modbus!.devices.map((d) => [d.id, d.registerMap])).toEqual(collector.devices.map((d) => [d.id, d.registerMap]));
  });

  it('every file names the same brokers and topics, the ones busbar-topics creates from historian.yaml', () => {
    const topics = parseTopicsArgs(['create', '--config', file('historian')], {});
    for (const cfg of [loadCollectorConfig(file('collector-modbus'), {}), loadHistorianConfig(file('historian'), env), loadAlerterConfig(file('alerter'), {}), loadCommanderConfig(file('commander'), {})]) {
      expect(cfg.kafka.brokers).toEqual(topics !== 'help' ? topics.brokers : []);
      expect(cfg.topics).toEqual(topics !== 'help' ? topics.names : undefined);
    }
  });

  it('takes the site\'s addresses from BUSBAR_* overrides (how the chart and the systemd units set them)', () => {
    const cfg = loadHistorianConfig(file('historian'), { ...env, BUSBAR_KAFKA__BROKERS: 'k1:9092,k2:9092', BUSBAR_INFLUX__URL: 'https://influx.example:8086' });
    expect(cfg.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(cfg.influx.url).toBe('https://influx.example:8086');
  });
});
