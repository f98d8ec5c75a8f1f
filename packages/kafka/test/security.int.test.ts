/**
 * `kafka.ssl` files and `kafka.sasl` through `createKafka` against the real broker: a SASL_SSL
 * listener that requires client certificates signed by the test CA (mutual TLS), SCRAM users.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka } from '@busbar/testkit';
import type { KafkaHandle } from '@busbar/testkit';
import { createKafka } from '../src/client.js';
import type { KafkaConnectionConfig } from '../src/client.js';

let server: KafkaHandle;
let dir: string;
let passwordFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'busbar-kafka-mtls-'));
  passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, 'lab-secret\n');
  server = await startKafka({ saslSsl: { users: [{ username: 'lab', password: 'lab-secret', mechanisms: ['SCRAM-SHA-256'] }], superUsers: ['lab'], clientAuth: 'required' } });
}, 180_000);

afterAll(async () => {
  await server?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function listTopics(config: KafkaConnectionConfig): Promise<string[]> {
  const admin = createKafka(config).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

describe('kafka > security against a broker requiring client certificates', () => {
  it('connects with the CA, client certificate and key files and a SCRAM password file', async () => {
    const client = await server.saslSsl!.pki.issueClient('collector-modbus');
    const config: KafkaConnectionConfig = {
      brokers: server.saslSsl!.brokers,
      clientId: 'mtls-test',
      ssl: { caFile: server.saslSsl!.caFile, certFile: client.certFile, keyFile: client.keyFile },
      sasl: { mechanism: 'SCRAM-SHA-256', username: 'lab', passwordFile },
    };
    expect(Array.isArray(await listTopics(config))).toBe(true);
  });

  it('is refused without a client certificate, the CA file alone', async () => {
    const config: KafkaConnectionConfig = { brokers: server.saslSsl!.brokers, clientId: 'mtls-test', connectionTimeoutMs: 3000, ssl: { caFile: server.saslSsl!.caFile }, sasl: { mechanism: 'SCRAM-SHA-256', username: 'lab', passwordFile } };
    // the broker ends the handshake with TLS alert 42 (bad_certificate): RFC 8446 §6.2
    await expect(listTopics(config)).rejects.toThrow(/alert bad certificate/);
  });
});
