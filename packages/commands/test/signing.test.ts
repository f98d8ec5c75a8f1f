import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Command, CommandParameter } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';
import { CANONICAL_DOMAIN_TAG, canonicalCommandBytes, signCommand, verifyCommandSignature } from '../src/signing.js';
import type { CommandKey } from '../src/signing.js';

/** Vectors made by test/peers/sign_command.py (Python `cryptography`), see test/vectors/README.md. */
interface VectorCommand {
  command_id: string; issuer: string; key_id: string; issued_at_ms: number; expires_at_ms: number;
  device_id: string; channel: number | null; action: string; parameters: Record<string, CommandParameter>; dry_run: boolean;
}
const file = JSON.parse(readFileSync(new URL('./vectors/signed-commands.json', import.meta.url), 'utf8')) as {
  keys: Record<string, { algorithm: 'ed25519' | 'hmac-sha256'; public_pem?: string; private_pem?: string; secret?: string }>;
  vectors: { name: string; command: VectorCommand; canonical_hex: string; signature_hex: string }[];
};

function toCommand(v: VectorCommand, signature: Uint8Array | null = null): Command {
  return {
    command_id: v.command_id, issuer: v.issuer, key_id: v.key_id, issued_at: new Date(v.issued_at_ms), expires_at: new Date(v.expires_at_ms),
    target: { device_id: v.device_id, channel: v.channel }, action: v.action, parameters: v.parameters, dry_run: v.dry_run, signature,
  };
}

function verifyingKey(id: string): CommandKey {
  const k = file.keys[id];
  if (!k) throw new Error(`no key ${id} in the vectors`);
  return k.algorithm === 'ed25519' ? { id, algorithm: 'ed25519', key: createPublicKey(k.public_pem ?? '') } : { id, algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(k.secret ?? '')) };
}

const base: Command = {
  command_id: 'c-1', issuer: 'alice', key_id: 'k1', issued_at: new Date(Date.UTC(2026, 11, 3, 12)), expires_at: new Date(Date.UTC(2026, 11, 3, 12, 5)),
  target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 12 }, dry_run: false, signature: null,
};

describe('commands > signing > canonical form against the Python signer\'s vectors', () => {
  it.each(file.vectors.map((v) => [v.name, v] as const))('%s: the same canonical bytes, and the signature verifies', (_name, v) => {
    const cmd = toCommand(v.command, Buffer.from(v.signature_hex, 'hex'));
    expect(canonicalCommandBytes(cmd).toString('hex')).toBe(v.canonical_hex);
    expect(() => verifyCommandSignature(cmd, verifyingKey(v.command.key_id))).not.toThrow();
  });

  it('a signature made by the Python side with the vector\'s private key is what Node makes (Ed25519 is deterministic)', () => {
    const v = file.vectors[0];
    const pem = file.keys['alice-2026']?.private_pem;
    if (!v || pem === undefined) throw new Error('vector 0 or its private key missing');
    const signed = signCommand(toCommand(v.command), { id: 'alice-2026', algorithm: 'ed25519', key: createPrivateKey(pem) });
    expect(Buffer.from(signed.signature).toString('hex')).toBe(v.signature_hex);
  });

  it('HMAC-SHA256: Node\'s tag equals the Python tag', () => {
    const v = file.vectors[1];
    if (!v) throw new Error('vector 1 missing');
    const signed = signCommand(toCommand(v.command), verifyingKey('sched-hmac'));
    expect(signed.signature.toString('hex')).toBe(v.signature_hex);
  });
});

describe('commands > signing > canonical form', () => {
  it('starts with the domain tag and is the same for equal commands', () => {
    const bytes = canonicalCommandBytes(base);
    expect(bytes.subarray(0, CANONICAL_DOMAIN_TAG.length).toString('ascii')).toBe('busbar.command.v1\n');
    expect(canonicalCommandBytes({ ...base, parameters: { value: 12, point: 'voltage_setpoint_v' } })).toEqual(bytes); // insertion order does not count
  });

  const changes: [string, Partial<Command>][] = [
    ['command_id', { command_id: 'c-2' }],
    ['issuer', { issuer: 'mallory' }],
    ['key_id', { key_id: 'k2' }],
    ['issued_at', { issued_at: new Date(base.issued_at.getTime() + 1) }],
    ['expires_at', { expires_at: new Date(base.expires_at.getTime() + 1) }],
    ['target.device_id', { target: { device_id: 'psu-2', channel: null } }],
    ['target.channel null → 0', { target: { device_id: 'psu-1', channel: 0 } }],
    ['action', { action: 'modbus.writes' }],
    ['a parameter value', { parameters: { point: 'voltage_setpoint_v', value: 12.000001 } }],
    ['a parameter type (number → text)', { parameters: { point: 'voltage_setpoint_v', value: '12' } }],
    ['a parameter added', { parameters: { point: 'voltage_setpoint_v', value: 12, extra: null } }],
    ['a parameter removed', { parameters: { point: 'voltage_setpoint_v' } }],
    ['dry_run', { dry_run: true }],
    // field boundaries: moving characters between adjacent text fields changes the bytes
    ['text moved between issuer and command_id', { command_id: 'c-1a', issuer: 'lice' }],
  ];
  it.each(changes)('changing %s changes the bytes', (_what, change) => {
    expect(canonicalCommandBytes({ ...base, ...change })).not.toEqual(canonicalCommandBytes(base));
  });

  it('−0 and +0 are one number', () => {
    expect(canonicalCommandBytes({ ...base, parameters: { value: -0 } })).toEqual(canonicalCommandBytes({ ...base, parameters: { value: 0 } }));
  });

  it('parameter names are ordered by UTF-8 bytes, not UTF-16 units', () => {
    const bytes = canonicalCommandBytes({ ...base, parameters: { '\u{1F600}': 1, '\uFF21': 2 } }).toString('hex');
    const fullwidth = Buffer.from('\uFF21', 'utf8').toString('hex');
    const emoji = Buffer.from('\u{1F600}', 'utf8').toString('hex');
    expect(bytes.indexOf(fullwidth)).toBeLessThan(bytes.indexOf(emoji));
  });
});

describe('commands > signing > sign and verify', () => {
  const ed = generateKeyPairSync('ed25519');
  const signer: CommandKey = { id: 'k1', algorithm: 'ed25519', key: ed.privateKey };
  const verifier: CommandKey = { id: 'k1', algorithm: 'ed25519', key: ed.publicKey };
  const hmac: CommandKey = { id: 'h1', algorithm: 'hmac-sha256', key: createSecretKey(Buffer.alloc(32, 7)) };

  function code(fn: () => void): string | undefined {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(CommandRefusedError);
      return (err as CommandRefusedError).code;
    }
    return undefined;
  }

  it('Ed25519: 64 bytes, sets key_id, verifies with the public key', () => {
    const signed = signCommand({ ...base, key_id: 'other' }, signer);
    expect(signed.key_id).toBe('k1');
    expect(signed.signature).toHaveLength(64);
    expect(code(() => verifyCommandSignature(signed, verifier))).toBeUndefined();
  });

  it('HMAC-SHA256: 32 bytes, verifies with the same secret', () => {
    const signed = signCommand(base, hmac);
    expect(signed.signature).toHaveLength(32);
    expect(code(() => verifyCommandSignature(signed, hmac))).toBeUndefined();
  });

  it('a signature moved onto another command → BB_COMMAND_BAD_SIGNATURE', () => {
    const a = signCommand(base, signer);
    const b = { ...signCommand({ ...base, command_id: 'c-2' }, signer), signature: a.signature };
    expect(code(() => verifyCommandSignature(b, verifier))).toBe('BB_COMMAND_BAD_SIGNATURE');
    expect(code(() => verifyCommandSignature({ ...a, parameters: { point: 'voltage_setpoint_v', value: 60 } }, verifier))).toBe('BB_COMMAND_BAD_SIGNATURE');
  });

  it('a flipped bit, a truncated signature, another key → BB_COMMAND_BAD_SIGNATURE', () => {
    const signed = signCommand(base, signer);
    const flipped = Buffer.from(signed.signature);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(code(() => verifyCommandSignature({ ...signed, signature: flipped }, verifier))).toBe('BB_COMMAND_BAD_SIGNATURE');
    expect(code(() => verifyCommandSignature({ ...signed, signature: signed.signature.subarray(0, 63) }, verifier))).toBe('BB_COMMAND_BAD_SIGNATURE');
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(code(() => verifyCommandSignature(signed, { id: 'k1', algorithm: 'ed25519', key: other }))).toBe('BB_COMMAND_BAD_SIGNATURE');
    const mac = signCommand(base, hmac);
    expect(code(() => verifyCommandSignature(mac, { ...hmac, key: createSecretKey(Buffer.alloc(32, 8)) }))).toBe('BB_COMMAND_BAD_SIGNATURE');
  });

  it('no signature or no key id → BB_COMMAND_UNSIGNED; another key id → BB_COMMAND_UNKNOWN_KEY', () => {
    expect(code(() => verifyCommandSignature({ ...base, signature: null }, verifier))).toBe('BB_COMMAND_UNSIGNED');
    expect(code(() => verifyCommandSignature({ ...signCommand(base, signer), key_id: null }, verifier))).toBe('BB_COMMAND_UNSIGNED');
    expect(code(() => verifyCommandSignature(signCommand(base, { ...signer, id: 'k9' }), verifier))).toBe('BB_COMMAND_UNKNOWN_KEY');
  });
});
