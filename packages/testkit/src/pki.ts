/**
 * A throw-away certificate authority for TLS tests, made with the `openssl` command line (Debian's
 * `openssl` package): a CA, a server certificate for 127.0.0.1/localhost signed by it, and client
 * certificates on demand. Keys are unencrypted PKCS#8 PEM (what Kafka's `ssl.keystore.type=PEM` and
 * Node's `tls` both read). Everything lives in one temporary directory, deleted at process exit.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestkitError } from './errors.js';
import { rememberTempDir } from './process.js';

const run = promisify(execFile);

/** PEM files of one certificate and its key. */
export interface CertificateFiles {
  /** Certificate (PEM). */
  readonly certFile: string;
  /** Private key (unencrypted PKCS#8 PEM). */
  readonly keyFile: string;
}

/** A test certificate authority made by {@link createTestPki}. */
export interface TestPki {
  /** Directory holding every file. */
  readonly dir: string;
  /** The CA certificate (PEM): what clients trust (`kafka.ssl.caFile`). */
  readonly caFile: string;
  /** The server's certificate and key, valid for `IP:127.0.0.1` and `DNS:localhost`. */
  readonly server: CertificateFiles;
  /**
   * Issues a client certificate with subject `CN=<commonName>` (mutual TLS).
   * @throws {TestkitError} `BB_TESTKIT_START_FAILED` when openssl fails.
   */
  issueClient(commonName: string): Promise<CertificateFiles>;
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args], { cwd: dir, timeout: 30_000 });
  } catch (cause) {
    const e = cause as Error & { stderr?: string; code?: string };
    const hint = e.code === 'ENOENT' ? ' (install the Debian package openssl: scripts/infra/apt/)' : '';
    throw new TestkitError('BB_TESTKIT_START_FAILED', `openssl ${args[0] ?? ''} failed${hint}: ${e.stderr ?? e.message}`, { cause, context: { server: 'openssl', path: dir } });
  }
}

/** Key + certificate signed by the CA in `dir`, for `subject`, with the extensions file `ext`. */
async function issue(dir: string, name: string, subject: string, ext: string): Promise<CertificateFiles> {
  const keyFile = join(dir, `${name}.key.pem`);
  const certFile = join(dir, `${name}.cert.pem`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  await openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  await openssl(dir, ['req', '-new', '-key', keyFile, '-subj', subject, '-out', join(dir, `${name}.csr`)]);
  await openssl(dir, ['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, 'ca.cert.pem'), '-CAkey', join(dir, 'ca.key.pem'), '-CAcreateserial', '-days', '2', '-sha256', '-extfile', extFile, '-out', certFile]);
  return { certFile, keyFile };
}

/**
 * Makes a CA and a server certificate for 127.0.0.1 (EC P-256 keys, SHA-256, valid 2 days).
 *
 * @throws {TestkitError} `BB_TESTKIT_START_FAILED` when openssl is missing or fails (its stderr in the message).
 */
export async function createTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-pki-'));
  rememberTempDir(dir);
  const caFile = join(dir, 'ca.cert.pem');
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key.pem'), '-subj', '/CN=Busbar test CA', '-days', '2', '-sha256', '-out', caFile]);
  const server = await issue(dir, 'server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  return {
    dir,
    caFile,
    server,
    issueClient: (commonName) => issue(dir, `client-${commonName.replace(/[^A-Za-z0-9._-]/g, '_')}`, `/CN=${commonName}`, 'extendedKeyUsage=clientAuth\n'),
  };
}

/**
 * One PEM file holding a private key and its certificate chain, as Kafka's `ssl.keystore.type=PEM`
 * with `ssl.keystore.location` reads it.
 */
export function pemKeystore(files: CertificateFiles, out: string): string {
  writeFileSync(out, readFileSync(files.keyFile, 'utf8') + readFileSync(files.certFile, 'utf8'));
  return out;
}
