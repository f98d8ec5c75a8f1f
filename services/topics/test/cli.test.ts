import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTopicsArgs } from '../src/cli.js';

describe('parseTopicsArgs', () => {
  it('takes brokers and topic names from a service configuration file, --brokers winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-topics-'));
    const file = join(dir, 'historian.yaml');
    writeFileSync(file, 'kafka: { brokers: [kafka:9092] }\ntopics: { readings: lab.readings }\ninflux: { url: http://x:8086 }\n');
    const cmd = parseTopicsArgs(['create', '--config', file], {});
    expect(cmd).toMatchObject({ brokers: ['kafka:9092'], names: { readings: 'lab.readings', alerts: 'busbar.alerts.v1' }, dryRun: false, timeoutS: 120 });
    expect(parseTopicsArgs(['create', '--config', file, '--brokers', 'a:1,b:2'], {})).toMatchObject({ brokers: ['a:1', 'b:2'] });
  });

  it('reads BUSBAR_KAFKA__BROKERS and the overrides by role', () => {
    const cmd = parseTopicsArgs(['create', '--partitions', 'readings=12', '--retention-ms', 'alerts=60000', '--replication-factor', '3', '--dry-run'], { BUSBAR_KAFKA__BROKERS: 'k1:9092,k2:9092' });
    expect(cmd).toEqual({
      brokers: ['k1:9092', 'k2:9092'], names: expect.objectContaining({ readings: 'busbar.readings.v1' }), partitions: { readings: 12 },
      retentionMs: { alerts: 60000 }, alerterStateTopics: [], replicationFactor: 3, timeoutS: 120, dryRun: true, security: {},
    });
  });

  it('carries the kafka section\'s TLS and SASL, so busbar-topics reaches a secured cluster as the services do', () => {
    const cmd = parseTopicsArgs(['create'], { BUSBAR_KAFKA: '{"brokers":["k1:9093"],"ssl":{"caFile":"ca.pem"},"sasl":{"mechanism":"SCRAM-SHA-512","username":"admin","passwordFile":"pw"}}' });
    expect(cmd).toMatchObject({ brokers: ['k1:9093'], security: { ssl: { caFile: 'ca.pem' }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'admin', passwordFile: 'pw' } } });
  });

  it('takes alerter rule-state topics by name (--alerter-state, repeatable) and refuses a name Kafka would refuse', () => {
    const env = { BUSBAR_KAFKA__BROKERS: 'k:9092' };
    expect(parseTopicsArgs(['create', '--alerter-state', 'busbar.alerter-state.busbar-alerter.v1', '--alerter-state', 'lab.alerter-state'], env)).toMatchObject({ alerterStateTopics: ['busbar.alerter-state.busbar-alerter.v1', 'lab.alerter-state'] });
    expect(() => parseTopicsArgs(['create', '--alerter-state', 'bad name'], env)).toThrow(expect.objectContaining({ code: 'BB_CONFIG_INVALID', message: expect.stringContaining('--alerter-state "bad name"') }));
  });

  it('refuses a missing command, unknown role, bad number or no brokers with BB_CONFIG_INVALID naming it', () => {
    const env = { BUSBAR_KAFKA__BROKERS: 'k:9092' };
    expect(() => parseTopicsArgs([], env)).toThrow(expect.objectContaining({ code: 'BB_CONFIG_INVALID', message: expect.stringContaining('"create"') }));
    expect(() => parseTopicsArgs(['create', '--partitions', 'reading=3'], env)).toThrow(/--partitions reading=3: expected ROLE=N/);
    expect(() => parseTopicsArgs(['create', '--partitions', 'readings=0'], env)).toThrow(/--partitions readings: expected a positive integer/);
    expect(() => parseTopicsArgs(['create', '--replication-factor', 'x'], env)).toThrow(/--replication-factor/);
    expect(() => parseTopicsArgs(['create', '--bogus'], env)).toThrow(expect.objectContaining({ code: 'BB_CONFIG_INVALID' }));
    expect(() => parseTopicsArgs(['create'], {})).toThrow(/no brokers/);
    expect(() => parseTopicsArgs(['create', '--brokers', 'nope'], {})).toThrow(/kafka.brokers/);
    expect(parseTopicsArgs(['--help'], {})).toBe('help');
  });
});

describe('parseTopicsArgs acls', () => {
  it('takes grants as ROLE=PRINCIPAL[@GROUP], with the admin\'s kafka section', () => {
    const cmd = parseTopicsArgs(['acls', '--brokers', 'k1:9093', '--grant', 'commander=commander@lab-commander', '--grant', 'issuer=User:operator', '--command-config', 'admin.properties'], {});
    expect(cmd).toEqual({
      command: 'acls', brokers: ['k1:9093'], security: {}, names: expect.objectContaining({ commands: 'busbar.commands.v1' }), apply: false, commandConfig: 'admin.properties',
      grants: [{ role: 'commander', principal: 'commander', groupId: 'lab-commander' }, { role: 'issuer', principal: 'User:operator' }],
    });
  });

  it.each([
    [['acls', '--brokers', 'k:1'], 'acls: give at least one --grant'],
    [['acls', '--brokers', 'k:1', '--grant', 'operator=alice'], '--grant operator=alice: expected ROLE=PRINCIPAL[@GROUP] with ROLE one of collector, commander, historian, alerter, issuer'],
    [['acls', '--brokers', 'k:1', '--grant', 'issuer=alice@g'], 'an issuer has no consumer group'],
  ])('refuses %j with BB_CONFIG_INVALID', (argv, message) => {
    expect(() => parseTopicsArgs(argv, {})).toThrow(expect.objectContaining({ code: 'BB_CONFIG_INVALID', message: expect.stringContaining(message) }));
  });
});
