/**
 * Command keys from files (never in a configuration body), docs/commands.md "Keys":
 *
 * - Ed25519: a PEM file — `PUBLIC KEY` (SPKI) to verify (the commander), `PRIVATE KEY` (PKCS #8)
 *   to sign (the CLI; it verifies too). Made with `openssl genpkey -algorithm ed25519`.
 * - HMAC-SHA256: a secret file; the secret is the file's bytes with trailing whitespace
 *   (`\n`, `\r\n`, spaces) removed, at least 32 bytes (e.g. `openssl rand -hex 32`: the 64 hex
 *   characters themselves are the secret). The same file on both sides.
 */
import { createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BusbarError } from '@busbar/core';
import type { CommandKey, SignatureAlgorithm } from './signing.js';

/** Shortest accepted HMAC secret, bytes (RFC 2104 §3: at least the hash output length). */
export const MIN_HMAC_SECRET_BYTES = 32;

function unusable(file: string, why: string, cause?: unknown): BusbarError {
  return new BusbarError('BB_COMMAND_KEY_UNUSABLE', `command key file ${file}: ${why}`, { cause, context: { file } });
}

/**
 * Reads one key file.
 *
 * @param id - the key id (`Command.key_id`).
 * @param algorithm - `ed25519` (PEM) or `hmac-sha256` (secret file), see the module doc; for
 *   `ed25519` a private key file gives a signing key, a public key file a verifying key.
 * @param file - path of the file.
 * @returns the key.
 * @throws {BusbarError} `BB_COMMAND_KEY_UNUSABLE` naming the file: unreadable, not PEM, not an
 *   Ed25519 key, an HMAC secret shorter than {@link MIN_HMAC_SECRET_BYTES}, or a PEM file given as an HMAC secret.
 */
export function readCommandKey(id: string, algorithm: SignatureAlgorithm, file: string): CommandKey {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    throw unusable(file, `cannot be read (${(cause as Error).message})`, cause);
  }
  if (algorithm === 'hmac-sha256') {
    // a PEM file configured as an HMAC secret (a public key, most likely) would let anyone holding it sign
    if (bytes.includes('-----BEGIN')) throw unusable(file, 'holds a PEM key, not an HMAC secret: for an Ed25519 key give algorithm ed25519');
    const secret = Buffer.from(bytes.toString('latin1').replace(/\s+$/, ''), 'latin1');
    if (secret.length < MIN_HMAC_SECRET_BYTES) throw unusable(file, `an HMAC-SHA256 secret must be at least ${MIN_HMAC_SECRET_BYTES} bytes, the file holds ${secret.length}`);
    return { id, algorithm, key: createSecretKey(secret) };
  }
  const text = bytes.toString('utf8');
  let key: KeyObject;
  try {
    key = /-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text) ? createPrivateKey(text) : createPublicKey(text);
  } catch (cause) {
    throw unusable(file, `not a PEM public or private key (${(cause as Error).message})`, cause);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw unusable(file, `holds a ${key.asymmetricKeyType ?? 'unknown'} key, expected ed25519`);
  return { id, algorithm, key };
}

/**
 * Guesses a signing key file's algorithm for the CLI: a PEM private key is Ed25519, anything else an HMAC secret.
 *
 * @param file - path of the key file.
 * @returns the algorithm.
 * @throws {BusbarError} `BB_COMMAND_KEY_UNUSABLE` when the file cannot be read.
 */
export function signingAlgorithmOf(file: string): SignatureAlgorithm {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw unusable(file, `cannot be read (${(cause as Error).message})`, cause);
  }
  return text.includes('-----BEGIN') ? 'ed25519' : 'hmac-sha256';
}
