/**
 * Test certificates made with openssl (Debian's `openssl`, present wherever Kafka's tests run): a
 * private CA and a server certificate for 127.0.0.1/localhost signed by it, plus a self-signed
 * certificate nobody trusts. Written to a fresh temporary folder; nothing is committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM texts and the folder holding them as files (`ca.pem`, `server.key`, `server.pem`, `rogue.key`, `rogue.pem`). */
export interface TestCerts {
  readonly dir: string;
  readonly caPem: string;
  readonly serverKey: string;
  readonly serverCert: string;
  /** A self-signed certificate for 127.0.0.1 that no CA vouches for. */
  readonly rogueKey: string;
  readonly rogueCert: string;
}

const openssl = (dir: string, args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * Makes the certificates (EC P-256, valid 1 day).
 * @throws the openssl error when openssl is missing or fails.
 */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-alerter-certs-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Busbar test CA']);
  openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext']);
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return { dir, caPem: read('ca.pem'), serverKey: read('server.key'), serverCert: read('server.pem'), rogueKey: read('rogue.key'), rogueCert: read('rogue.pem') };
}
