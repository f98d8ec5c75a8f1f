import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BusbarError } from '@busbar/core';
import { readCommandKey, signingAlgorithmOf } from '../src/keys.js';
import { signCommand, verifyCommandSignature } from '../src/signing.js';

const dir = mkdtempSync(join(tmpdir(), 'busbar-command-keys-'));
const file = (name: string, content: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const ed = generateKeyPairSync('ed25519');
const privPem = file('alice.pem', ed.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const pubPem = file('alice.pub.pem', ed.publicKey.export({ type: 'spki', format: 'pem' }));
const cmd = { command_id: 'c-1', issuer: 'alice', issued_at: new Date(0), expires_at: new Date(60_000), target: { device_id: 'd', channel: null }, action: 'x.y' };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BusbarError);
    return `${(err as BusbarError).code}: ${(err as Error).message}`;
  }
  return 'ok';
}

describe('commands > keys > readCommandKey', () => {
  it('an Ed25519 private PEM signs, its public PEM verifies', () => {
    const signed = signCommand(cmd, readCommandKey('alice', 'ed25519', privPem));
    expect(() => verifyCommandSignature(signed, readCommandKey('alice', 'ed25519', pubPem))).not.toThrow();
  });

  it('an HMAC secret file: trailing newline ignored, the same key on both sides', () => {
    const hex = randomBytes(32).toString('hex');
    const signed = signCommand(cmd, readCommandKey('h', 'hmac-sha256', file('h1', `${hex}\n`)));
    expect(() => verifyCommandSignature(signed, readCommandKey('h', 'hmac-sha256', file('h2', hex)))).not.toThrow();
    expect(() => verifyCommandSignature(signed, readCommandKey('h', 'hmac-sha256', file('h3', `${hex}x`)))).toThrow(/does not verify/);
  });

  it('refuses, naming the file: missing, not PEM, an RSA key, a short secret (BB_COMMAND_KEY_UNUSABLE)', () => {
    expect(codeOf(() => readCommandKey('k', 'ed25519', join(dir, 'none.pem')))).toMatch(/^BB_COMMAND_KEY_UNUSABLE: command key file .*none\.pem: cannot be read/);
    expect(codeOf(() => readCommandKey('k', 'ed25519', file('junk.pem', 'hello')))).toMatch(/^BB_COMMAND_KEY_UNUSABLE: .*junk\.pem: not a PEM public or private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    expect(codeOf(() => readCommandKey('k', 'ed25519', file('rsa.pem', rsa)))).toMatch(/holds a rsa key, expected ed25519/);
    expect(codeOf(() => readCommandKey('k', 'hmac-sha256', file('short', 'abc\n')))).toMatch(/at least 32 bytes, the file holds 3/);
  });

  it('signingAlgorithmOf: PEM → ed25519, anything else → hmac-sha256', () => {
    expect(signingAlgorithmOf(privPem)).toBe('ed25519');
    expect(signingAlgorithmOf(file('h4', randomBytes(32).toString('hex')))).toBe('hmac-sha256');
  });
});
