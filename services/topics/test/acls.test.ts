import { describe, expect, it } from 'vitest';
import { topicsConfigSchema } from '@busbar/kafka';
import { aclsFor, kafkaAclsCommands } from '../src/acls.js';

const topics = topicsConfigSchema.parse(undefined);
const names = (acls: ReturnType<typeof aclsFor>): string[] => acls.map((a) => `${a.operation} ${a.resourceType} ${a.resourceName}${a.patternType === 'PREFIXED' ? '*' : ''}`);

describe('topics > acls > aclsFor', () => {
  it('gives only the issuer WRITE on the commands topic, and the commander only READ on it', () => {
    const writers = (['collector', 'commander', 'historian', 'alerter', 'issuer'] as const).filter((role) =>
      aclsFor({ role, principal: role } as Parameters<typeof aclsFor>[0], topics).some((a) => a.operation === 'WRITE' && a.resourceName === topics.commands),
    );
    expect(writers).toEqual(['issuer']);
    expect(names(aclsFor({ role: 'commander', principal: 'commander' }, topics))).toContain('READ TOPIC busbar.commands.v1');
  });

  it('lets the issuer acknowledge and silence alerts: WRITE alert-control, READ alerts (ack --wait), WRITE and READ silences (add, list, expire) in busbar-table- groups; no other role writes silences', () => {
    expect(names(aclsFor({ role: 'issuer', principal: 'operator' }, topics))).toEqual(expect.arrayContaining(['WRITE TOPIC busbar.alert-control.v1', 'READ TOPIC busbar.alerts.v1', 'WRITE TOPIC busbar.alert-silences.v1', 'READ TOPIC busbar.alert-silences.v1', 'READ GROUP busbar-table-*']));
    expect(names(aclsFor({ role: 'issuer', principal: 'operator', alertControlTopic: 'lab1.alert-control', silencesTopic: 'lab1.silences' }, topicsConfigSchema.parse({ alerts: 'lab1.alerts' })))).toEqual(expect.arrayContaining(['WRITE TOPIC lab1.alert-control', 'READ TOPIC lab1.alerts', 'WRITE TOPIC lab1.silences', 'READ TOPIC lab1.silences']));
    const silenceWriters = (['collector', 'commander', 'historian', 'alerter', 'issuer'] as const).filter((role) =>
      aclsFor({ role, principal: role } as Parameters<typeof aclsFor>[0], topics).some((a) => a.operation === 'WRITE' && a.resourceName === 'busbar.alert-silences.v1'),
    );
    expect(silenceWriters).toEqual(['issuer']);
    expect(names(aclsFor({ role: 'alerter', principal: 'alerter' }, topics))).toEqual(expect.arrayContaining(['CREATE TOPIC busbar.alert-silences.v1', 'READ TOPIC busbar.alert-silences.v1']));
  });

  it('names the principal User:<name> and keeps a given principal type', () => {
    expect(new Set(aclsFor({ role: 'historian', principal: 'historian' }, topics).map((a) => a.principal))).toEqual(new Set(['User:historian']));
    expect(aclsFor({ role: 'issuer', principal: 'User:lab-scheduler' }, topics)[0]?.principal).toBe('User:lab-scheduler');
  });

  it('follows the deployment topic names and group ids', () => {
    const custom = topicsConfigSchema.parse({ commands: 'lab1.commands', deviceCommands: 'lab1.device-commands' });
    expect(names(aclsFor({ role: 'collector', principal: 'c', groupId: 'busbar-collector-modbus-rack1' }, custom))).toEqual([
      'WRITE TOPIC busbar.readings.v1',
      'WRITE TOPIC busbar.device-events.v1',
      'WRITE TOPIC busbar.command-results.v1',
      'READ TOPIC busbar.command-results.v1',
      'READ TOPIC lab1.device-commands',
      'WRITE TOPIC busbar.dead-letter.v1',
      'READ GROUP busbar-collector-modbus-rack1',
      'READ GROUP busbar-replay-*',
    ]);
    expect(names(aclsFor({ role: 'alerter', principal: 'a', groupId: 'lab-alerts' }, topics))).toEqual(
      expect.arrayContaining(['CREATE TOPIC busbar.alerter-state.lab-alerts.v1', 'READ TOPIC busbar.alerter-state.lab-alerts.v1', 'WRITE TOPIC busbar.alerter-state.lab-alerts.v1', 'READ GROUP lab-alerts', 'READ GROUP busbar-table-*',
        'READ TOPIC busbar.alerts.v1', 'READ GROUP lab-alerts.notify.*', 'READ GROUP lab-alerts.acks', 'CREATE TOPIC busbar.alert-control.v1', 'READ TOPIC busbar.alert-control.v1']),
    );
  });
});

describe('topics > acls > kafkaAclsCommands', () => {
  it('prints one kafka-acls.sh --add line per ACL, prefixed patterns marked', () => {
    const lines = kafkaAclsCommands(aclsFor({ role: 'issuer', principal: 'operator' }, topics), 'kafka:9093', 'admin.properties');
    expect(lines).toEqual([
      'kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:operator --operation Write --topic busbar.commands.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:operator --operation Read --topic busbar.command-results.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:operator --operation Write --topic busbar.alert-control.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:operator --operation Read --topic busbar.alerts.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:operator --operation Write --topic busbar.alert-silences.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:operator --operation Read --topic busbar.alert-silences.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:operator --operation Read --group busbar-replay- --resource-pattern-type prefixed',
      'kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:operator --operation Read --group busbar-cli- --resource-pattern-type prefixed',
      'kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:operator --operation Read --group busbar-table- --resource-pattern-type prefixed',
    ]);
  });
});
