/**
 * Registry authentication configured from files: HTTP basic auth (password file) and mutual TLS (CA,
 * client certificate and key files) against a real TLS server — Node's https server with
 * `requestCert`, checking the `Authorization` header and forwarding to the real registry (Apicurio,
 * whose own basic auth needs an OIDC server). Certificates are made by `openssl` for this run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchemaRegistry } from '@busbar/testkit';
import type { SchemaRegistryHandle } from '@busbar/testkit';
import { createFraming, readingSerde } from '../../src/index.js';
import { RegistryError } from '../../src/errors.js';
import { SchemaRegistryClient } from '../../src/registry/client.js';
import { loadRegistryOptions } from '../../src/registry/config.js';

const dir = mkdtempSync(join(tmpdir(), 'busbar-registry-tls-'));
const f = (name: string): string => join(dir, name);
let registry: SchemaRegistryHandle;
let proxy: Server;
let url: string;
const seen: { user: string | null; clientCert: string | null }[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=busbar-test-ca');
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=busbar-historian');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '1');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '1', '-subj', '/CN=someone-else');
  writeFileSync(f('password'), 's3cret:with:colons\n');
  writeFileSync(f('wrong-password'), 'nope\n');
  registry = await startSchemaRegistry();
  proxy = createServer({ key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), ca: readFileSync(f('ca.pem')), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const auth = req.headers.authorization ?? '';
    const [user, pass] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8').split(/:(.*)/s);
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn = peer.subject?.CN;
    seen.push({ user: user ?? null, clientCert: typeof cn === 'string' ? cn : null });
    if (!auth.startsWith('Basic ') || user !== 'busbar' || pass !== 's3cret:with:colons') {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic' }).end(JSON.stringify({ error_code: 40101, message: 'Unauthorized' }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      fetch(`${registry.url}${req.url ?? ''}`, { method: req.method ?? 'GET', headers: { 'content-type': req.headers['content-type'] ?? 'application/json' }, ...(body.length > 0 ? { body } : {}) })
        .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(Buffer.from(await r.arrayBuffer())))
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await registry?.dispose();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function refusal(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

describe('avro > registry auth from files (basic auth, mutual TLS)', () => {
  it('registers through TLS with the CA, client certificate and password read from files', async () => {
    const framing = createFraming({ framing: 'confluent', registry: { url, basicAuth: { username: 'busbar', passwordFile: f('password') }, tls: { caFile: f('ca.pem'), certFile: f('client.pem'), keyFile: f('client.key') } } });
    const enc = framing.encoder(readingSerde, 'tls.readings');
    await enc.ready();
    expect(enc.encode({ device_id: 'd', protocol: 'p', channel: null, timestamp: new Date(0), values: {} })[0]).toBe(0);
    expect(seen.at(-1)).toEqual({ user: 'busbar', clientCert: 'busbar-historian' });
    await framing.close();
  });

  it('a wrong password is BB_AVRO_REGISTRY_REFUSED (401), not retriable', async () => {
    const client = new SchemaRegistryClient(loadRegistryOptions({ url, basicAuth: { username: 'busbar', passwordFile: f('wrong-password') }, tls: { caFile: f('ca.pem'), certFile: f('client.pem'), keyFile: f('client.key') } }));
    const err = await refusal(client.schemaById(1));
    expect([err.code, err.retriable, err.context['status']]).toEqual(['BB_AVRO_REGISTRY_REFUSED', false, 401]);
    expect(err.message).toContain('basic auth');
    await client.close();
  });

  it('a server certificate not signed by the configured CA, or a client certificate the server does not trust, is BB_AVRO_REGISTRY_REFUSED', async () => {
    const noCa = new SchemaRegistryClient(loadRegistryOptions({ url, basicAuth: { username: 'busbar', passwordFile: f('password') }, tls: { certFile: f('client.pem'), keyFile: f('client.key') } }));
    expect((await refusal(noCa.schemaById(1))).code).toBe('BB_AVRO_REGISTRY_REFUSED');
    await noCa.close();
    const stranger = new SchemaRegistryClient(loadRegistryOptions({ url, basicAuth: { username: 'busbar', passwordFile: f('password') }, tls: { caFile: f('ca.pem'), certFile: f('other.pem'), keyFile: f('other.key') } }));
    const err = await refusal(stranger.schemaById(1));
    expect(err.code).toMatch(/^BB_AVRO_REGISTRY_(REFUSED|UNREACHABLE)$/); // the server's refusal may show as a reset, which TLS 1.3 does not tell apart
    await stranger.close();
  });

  it('an unreadable secret file stops the start with BB_AVRO_REGISTRY_CONFIG_INVALID naming the field', () => {
    expect(() => loadRegistryOptions({ url, basicAuth: { username: 'busbar', passwordFile: f('missing') } })).toThrow(expect.objectContaining({ code: 'BB_AVRO_REGISTRY_CONFIG_INVALID', message: expect.stringContaining('kafka.avro.registry.basicAuth.passwordFile') }));
    expect(() => loadRegistryOptions({ url, tls: { caFile: f('missing.pem') } })).toThrow(expect.objectContaining({ code: 'BB_AVRO_REGISTRY_CONFIG_INVALID' }));
  });
});
