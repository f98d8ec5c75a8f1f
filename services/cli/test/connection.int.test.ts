/**
 * The alert subcommands over an authenticated, authorising broker, as a deployment runs them: a
 * private Kafka with a SASL_SSL listener (test CA, SCRAM users, StandardAuthorizer, nothing allowed
 * without an ACL), the CLI given a `--config` file whose `kafka:` section has TLS and SASL from files,
 * and the principal holding only the `issuer` ACLs of `busbar-topics acls` (services/topics/src/acls.ts).
 * `silence add | list | expire` and `alert ack --wait` work with them; a principal without them is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { DEFAULT_ALERT_CONTROL_TOPIC, DEFAULT_SILENCES_TOPIC } from '@busbar/alert-control';
import { createKafka, ensureTopics, topicsConfigSchema } from '@busbar/kafka';
import type { KafkaConnectionConfig } from '@busbar/kafka';
import { aclsFor, applyAcls, busbarTopics, createBusbarTopics } from '@busbar/topics';
import { startKafka } from '@busbar/testkit';
import type { KafkaHandle } from '@busbar/testkit';
import { runCli } from '../src/program.js';
import { capture } from './support/capture.js';

const topics = topicsConfigSchema.parse(undefined);
const USERS = [
  { username: 'admin', password: 'admin-secret' },
  { username: 'operator', password: 'operator-secret' },
  { username: 'intruder', password: 'intruder-secret' },
];
let server: KafkaHandle;
let dir: string;
let admin: Admin;

/** The `kafka:` section signing in as `user` over SASL_SSL (password and CA from files). */
function kafkaSection(user: string): KafkaConnectionConfig {
  const passwordFile = join(dir, `${user}.password`);
  writeFileSync(passwordFile, `${USERS.find((u) => u.username === user)!.password}\n`);
  return { brokers: server.saslSsl!.brokers, clientId: `cli-acl-${user}`, ssl: { caFile: server.saslSsl!.caFile }, sasl: { mechanism: 'SCRAM-SHA-512', username: user, passwordFile } };
}
/** A CLI configuration file (`--config`) with that section. */
function configFor(user: string): string {
  const file = join(dir, `${user}.json`);
  writeFileSync(file, JSON.stringify({ kafka: kafkaSection(user) }));
  return file;
}
async function cli(user: string, ...argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const io = capture();
  const code = await runCli([...argv, '--config', configFor(user)], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'busbar-cli-acl-'));
  server = await startKafka({ saslSsl: { users: USERS, superUsers: ['admin'] } });
  admin = createKafka(kafkaSection('admin')).admin();
  await admin.connect();
  // as the alerter would at start: its alerts topic, the alert-control topic, the compacted silences topic
  await createBusbarTopics(admin, busbarTopics(topics), {});
  await ensureTopics(admin, [{ topic: DEFAULT_ALERT_CONTROL_TOPIC, numPartitions: 3 }, { topic: DEFAULT_SILENCES_TOPIC, numPartitions: 1, config: { 'cleanup.policy': 'compact' } }]);
  await applyAcls(admin, aclsFor({ role: 'issuer', principal: 'operator' }, topics));
}, 180_000);

afterAll(async () => {
  await admin?.disconnect();
  await server?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('cli > alert and silence subcommands over SASL_SSL with the issuer ACLs only', () => {
  it('silence add, list and expire work for the issuer', async () => {
    const added = await cli('operator', 'silence', 'add', '--matcher', 'rack="r3"', '--duration', '2h', '--by', 'operator', '--comment', 'maintenance', '--id', 'maint-r3');
    expect(added).toMatchObject({ code: 0, stdout: ['maint-r3'] });
    const listed = await cli('operator', 'silence', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout.map((l) => (JSON.parse(l) as { id: string; status: string }).status)).toEqual(['active']);
    expect(await cli('operator', 'silence', 'expire', 'maint-r3')).toMatchObject({ code: 0, stdout: ['maint-r3'] });
    expect((await cli('operator', 'silence', 'list', '--all')).stdout.map((l) => (JSON.parse(l) as { status: string }).status)).toEqual(['expired']);
  }, 120_000);

  it('alert ack --wait: written and the alerts topic read (no alerter here: it times out with exit 1, not an authorization error)', async () => {
    const r = await cli('operator', 'alert', 'ack', '3f1c0000-0000-4000-8000-000000000000', '--by', 'operator', '--wait', '--timeout-s', '3');
    expect(r.code).toBe(1);
    expect(r.stderr.join('\n')).toContain(`acknowledgement of alert 3f1c0000-0000-4000-8000-000000000000 by operator written to ${DEFAULT_ALERT_CONTROL_TOPIC}`);
    expect(r.stderr.join('\n')).toContain(`no ACKNOWLEDGED alert 3f1c0000-0000-4000-8000-000000000000 on ${topics.alerts} within 3 s`);
    const end = await admin.fetchTopicOffsets(DEFAULT_ALERT_CONTROL_TOPIC);
    expect(end.reduce((n, p) => n + Number(p.high), 0)).toBe(1);
  }, 120_000);

  it('a principal without the issuer ACLs is refused: silence add exits 1 and writes nothing', async () => {
    const r = await cli('intruder', 'silence', 'add', '--matcher', 'rack="r4"', '--duration', '1h', '--by', 'intruder', '--comment', 'x', '--id', 'sneaky');
    expect(r.code).toBe(1);
    expect(r.stdout).toEqual([]);
    expect(r.stderr.join('\n')).toContain(`the silences topic ${DEFAULT_SILENCES_TOPIC} does not exist or this principal may not see it`);
    const end = await admin.fetchTopicOffsets(DEFAULT_SILENCES_TOPIC);
    expect(end.reduce((n, p) => n + Number(p.high), 0)).toBe(2); // the issuer's add and expire only
  }, 120_000);
});
