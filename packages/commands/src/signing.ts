/**
 * Signed commands: the canonical bytes of a {@link Command}, and signing and verifying them with
 * Ed25519 or HMAC-SHA256 (node:crypto). Pure: keys are given as `KeyObject`s (see keys.ts for
 * reading them from files); nothing here does I/O.
 *
 * The canonical form (Busbar's own contract, documented in docs/commands.md "Canonical form";
 * no vendor document) — every field of the command in a fixed order, each self-delimiting, so no
 * two different commands share canonical bytes and a signature cannot be moved onto another command
 * (another id, issuer, key, device, channel, action, parameter, time window or dry-run flag):
 *
 * | # | field | encoding |
 * |---|---|---|
 * | 0 | domain tag | the 18 ASCII bytes `busbar.command.v1` + `0x0A` |
 * | 1 | `command_id` | text |
 * | 2 | `issuer` | text |
 * | 3 | `key_id` | text (a signed command always has one) |
 * | 4 | `issued_at` | int64, milliseconds since the Unix epoch (the wire's microseconds floored: what a decoded `Date` holds) |
 * | 5 | `expires_at` | int64, milliseconds since the Unix epoch, floored likewise |
 * | 6 | `target.device_id` | text |
 * | 7 | `target.channel` | `0x00` for null, else `0x01` + int32 |
 * | 8 | `action` | text |
 * | 9 | `parameters` | uint32 count, then per parameter in ascending order of the name's UTF-8 bytes: name (text), value |
 * | 10 | `dry_run` | `0x00` false, `0x01` true |
 *
 * text = uint32 length in bytes + UTF-8 bytes; every integer big-endian (int64/int32 two's
 * complement). A parameter value is a tag byte then: `0x00` null; `0x01` boolean + `0x00`/`0x01`;
 * `0x02` number + IEEE-754 binary64 (big-endian; every number, integer or not, because the wire's
 * long/double choice is not visible after decoding; −0 is written as +0); `0x03` text.
 */
import { createHmac, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Command, CommandParameter } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';

/** The first bytes of every canonical form: `busbar.command.v1\n`. */
export const CANONICAL_DOMAIN_TAG = 'busbar.command.v1\n';

/** Signature algorithms a key may have: Ed25519 (RFC 8032, pure) or HMAC-SHA256 (RFC 2104). */
export type SignatureAlgorithm = 'ed25519' | 'hmac-sha256';

/** The fields the canonical form covers (a {@link Command} without its signature). */
export type SignableCommand = Pick<Command, 'command_id' | 'issuer' | 'issued_at' | 'expires_at' | 'action'> & {
  readonly target: { readonly device_id: string; readonly channel?: number | null };
  readonly parameters?: Readonly<Record<string, CommandParameter>>;
  readonly dry_run?: boolean;
  readonly key_id?: string | null;
};

/** A key to sign with or verify against. */
export interface CommandKey {
  /** The key id carried in `Command.key_id`. */
  readonly id: string;
  /** Its algorithm. */
  readonly algorithm: SignatureAlgorithm;
  /**
   * Ed25519: a public key (verify) or a private key (sign; also verifies); HMAC-SHA256: the secret
   * key (`createSecretKey`), the same for both.
   */
  readonly key: KeyObject;
}

class Writer {
  private readonly parts: Buffer[] = [];
  raw(b: Buffer): void {
    this.parts.push(b);
  }
  byte(v: number): void {
    this.parts.push(Buffer.of(v));
  }
  text(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    this.parts.push(len, bytes);
  }
  uint32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
  }
  int32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
  }
  int64(v: bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
  }
  double(v: number): void {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v === 0 ? 0 : v); // −0 → +0
    this.parts.push(b);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function millis(d: Date, field: string): bigint {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new CommandRefusedError('BB_COMMAND_BAD_SIGNATURE', `${field} is not a valid instant; the command cannot be signed or verified`, { field });
  // a decoded Date holds floor(micros / 1000): sub-millisecond digits another producer wrote are not signed
  return BigInt(ms);
}

/** Orders parameter names by their UTF-8 bytes (not JavaScript's UTF-16 order). */
function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The canonical bytes of a command (module doc: fields, order, encoding): what is signed.
 *
 * @param cmd - the command; `key_id` null or absent is written as the empty text.
 * @returns the canonical bytes.
 * @throws {CommandRefusedError} `BB_COMMAND_BAD_SIGNATURE` when an instant is invalid.
 */
export function canonicalCommandBytes(cmd: SignableCommand): Buffer {
  const w = new Writer();
  w.raw(Buffer.from(CANONICAL_DOMAIN_TAG, 'ascii'));
  w.text(cmd.command_id);
  w.text(cmd.issuer);
  w.text(cmd.key_id ?? '');
  w.int64(millis(cmd.issued_at, 'issued_at'));
  w.int64(millis(cmd.expires_at, 'expires_at'));
  w.text(cmd.target.device_id);
  const channel = cmd.target.channel ?? null;
  if (channel === null) w.byte(0);
  else {
    w.byte(1);
    w.int32(channel);
  }
  w.text(cmd.action);
  const params = cmd.parameters ?? {};
  const names = Object.keys(params).sort(byUtf8);
  w.uint32(names.length);
  for (const name of names) {
    w.text(name);
    const v = params[name];
    if (v === null || v === undefined) w.byte(0);
    else if (typeof v === 'boolean') {
      w.byte(1);
      w.byte(v ? 1 : 0);
    } else if (typeof v === 'number') {
      w.byte(2);
      w.double(v);
    } else {
      w.byte(3);
      w.text(v);
    }
  }
  w.byte(cmd.dry_run === true ? 1 : 0);
  return w.bytes();
}

/**
 * Signs a command with `key`: sets `key_id` to the key's id and `signature` to the signature of
 * {@link canonicalCommandBytes} (Ed25519: 64 bytes; HMAC-SHA256: 32 bytes).
 *
 * @param cmd - the command without signature (any `key_id` is replaced by the key's).
 * @param key - an Ed25519 private key or an HMAC secret key.
 * @returns a copy of `cmd` with `key_id` and `signature`.
 * @throws node:crypto's error when the key does not fit the algorithm (e.g. an Ed25519 public key).
 */
export function signCommand<C extends SignableCommand>(cmd: C, key: CommandKey): C & { key_id: string; signature: Buffer } {
  const withKey = { ...cmd, key_id: key.id };
  const bytes = canonicalCommandBytes(withKey);
  const signature = key.algorithm === 'ed25519' ? cryptoSign(null, bytes, key.key) : createHmac('sha256', key.key).update(bytes).digest();
  return { ...withKey, signature };
}

/**
 * Checks a command's signature with the key its `key_id` names (the caller has looked it up).
 *
 * @param cmd - the received command, with `key_id` and `signature`.
 * @param key - the key with id `cmd.key_id`.
 * @throws {CommandRefusedError} `BB_COMMAND_UNSIGNED` (no signature or no key id),
 *   `BB_COMMAND_BAD_SIGNATURE` (the signature does not verify: another command, another key, altered bytes).
 */
export function verifyCommandSignature(cmd: SignableCommand & { readonly signature?: Uint8Array | null }, key: CommandKey): void {
  const signature = cmd.signature ?? null;
  if (signature === null || signature.length === 0 || cmd.key_id === null || cmd.key_id === undefined || cmd.key_id === '') {
    throw new CommandRefusedError('BB_COMMAND_UNSIGNED', `command ${cmd.command_id} carries no ${signature === null || signature.length === 0 ? 'signature' : 'key_id'}; a signed command is required`);
  }
  if (cmd.key_id !== key.id) throw new CommandRefusedError('BB_COMMAND_UNKNOWN_KEY', `command ${cmd.command_id} is signed with key ${cmd.key_id}, not ${key.id}`, { key_id: cmd.key_id });
  const bytes = canonicalCommandBytes(cmd);
  let ok: boolean;
  if (key.algorithm === 'ed25519') {
    ok = signature.length === 64 && cryptoVerify(null, bytes, key.key, signature);
  } else {
    const expected = createHmac('sha256', key.key).update(bytes).digest();
    ok = signature.length === expected.length && timingSafeEqual(expected, signature);
  }
  if (!ok) {
    throw new CommandRefusedError('BB_COMMAND_BAD_SIGNATURE', `command ${cmd.command_id}: the ${key.algorithm} signature (${signature.length} bytes) does not verify with key ${key.id} over the command's canonical bytes (altered, or signed over other fields)`, { key_id: key.id, algorithm: key.algorithm });
  }
}
