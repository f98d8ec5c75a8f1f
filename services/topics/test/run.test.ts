import { describe, expect, it } from 'vitest';
import { runTopicsCli } from '../src/run.js';

describe('runTopicsCli acls (printing)', () => {
  it('prints one kafka-acls.sh line per ACL of the grants and exits 0, without reaching the cluster', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runTopicsCli(['acls', '--brokers', 'kafka:9093', '--grant', 'issuer=operator'], {}, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual([
      'kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal User:operator --operation Write --topic busbar.commands.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal User:operator --operation Read --topic busbar.command-results.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal User:operator --operation Write --topic busbar.alert-control.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal User:operator --operation Read --topic busbar.alerts.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal User:operator --operation Write --topic busbar.alert-silences.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal User:operator --operation Read --topic busbar.alert-silences.v1',
      'kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal User:operator --operation Read --group busbar-replay- --resource-pattern-type prefixed',
      'kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal User:operator --operation Read --group busbar-cli- --resource-pattern-type prefixed',
      'kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal User:operator --operation Read --group busbar-table- --resource-pattern-type prefixed',
    ]);
  });

  it('exits 2 with the usage on a bad grant', async () => {
    const err: string[] = [];
    expect(await runTopicsCli(['acls', '--brokers', 'k:1', '--grant', 'x'], {}, { out: () => undefined, err: (l) => void err.push(l) })).toBe(2);
    expect(err[0]).toContain('--grant x: expected ROLE=PRINCIPAL[@GROUP]');
  });
});
