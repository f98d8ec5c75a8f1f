import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';
import { CommandPolicy } from '../src/policy.js';
import type { PolicyKey } from '../src/policy.js';
import { signCommand } from '../src/signing.js';

const alice = generateKeyPairSync('ed25519');
const bob = generateKeyPairSync('ed25519');
const keys: PolicyKey[] = [
  { id: 'alice-2026', algorithm: 'ed25519', key: alice.publicKey, issuer: 'alice' },
  { id: 'bob-2026', algorithm: 'ed25519', key: bob.publicKey },
  { id: 'sched', algorithm: 'hmac-sha256', key: createSecretKey(Buffer.alloc(32, 1)) },
];
const policy = new CommandPolicy({
  keys,
  rules: [
    { keys: ['alice-2026'], actions: ['modbus.*'], devices: ['psu-*'] },
    { keys: ['bob-2026', 'sched'], actions: ['arbin.{start,stop}'], devices: ['cycler-1', 'cycler-2'] },
  ],
});

const base: Command = {
  command_id: 'c-1', issuer: 'alice', issued_at: new Date(Date.UTC(2026, 11, 3, 12)), expires_at: new Date(Date.UTC(2026, 11, 3, 12, 5)),
  target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 12 }, dry_run: false, key_id: null, signature: null,
};
const byAlice = (over: Partial<Command> = {}): Command => signCommand({ ...base, ...over }, { id: 'alice-2026', algorithm: 'ed25519', key: alice.privateKey });
const byBob = (over: Partial<Command> = {}): Command => signCommand({ ...base, issuer: 'bob', ...over }, { id: 'bob-2026', algorithm: 'ed25519', key: bob.privateKey });

function refusal(p: CommandPolicy, cmd: Command): string {
  try {
    p.authorise(cmd);
  } catch (err) {
    expect(err).toBeInstanceOf(CommandRefusedError);
    return `${(err as CommandRefusedError).code}: ${(err as Error).message}`;
  }
  return 'authorised';
}

describe('commands > policy > CommandPolicy', () => {
  it('a command signed by an allowed key on an allowed device and action is authorised, with its key id', () => {
    expect(policy.authorise(byAlice())).toEqual({ keyId: 'alice-2026', signed: true });
    expect(policy.authorise(byBob({ action: 'arbin.stop', target: { device_id: 'cycler-2', channel: 3 } }))).toEqual({ keyId: 'bob-2026', signed: true });
    const sched = signCommand({ ...base, issuer: 'scheduler', action: 'arbin.start', target: { device_id: 'cycler-1', channel: 1 } }, keys[2] as PolicyKey);
    expect(policy.authorise(sched).keyId).toBe('sched');
  });

  it('unsigned → BB_COMMAND_UNSIGNED (requireSignature is the default)', () => {
    expect(refusal(policy, base)).toMatch(/^BB_COMMAND_UNSIGNED: command c-1 from issuer "alice" is not signed/);
    expect(refusal(policy, { ...base, key_id: 'alice-2026' })).toMatch(/^BB_COMMAND_UNSIGNED/);
  });

  it('a key id the policy does not know → BB_COMMAND_UNKNOWN_KEY', () => {
    const eve = generateKeyPairSync('ed25519');
    expect(refusal(policy, signCommand(base, { id: 'eve', algorithm: 'ed25519', key: eve.privateKey }))).toMatch(/^BB_COMMAND_UNKNOWN_KEY: .*key "eve"/);
  });

  it('signed by another private key under a known key id → BB_COMMAND_BAD_SIGNATURE; altered after signing → the same', () => {
    const eve = generateKeyPairSync('ed25519');
    expect(refusal(policy, signCommand(base, { id: 'alice-2026', algorithm: 'ed25519', key: eve.privateKey }))).toMatch(/^BB_COMMAND_BAD_SIGNATURE/);
    expect(refusal(policy, { ...byAlice(), parameters: { point: 'voltage_setpoint_v', value: 60 } })).toMatch(/^BB_COMMAND_BAD_SIGNATURE/);
    expect(refusal(policy, { ...byAlice(), expires_at: new Date(base.expires_at.getTime() + 3_600_000) })).toMatch(/^BB_COMMAND_BAD_SIGNATURE/);
  });

  it('an action, a device or an issuer the rules do not grant → BB_COMMAND_NOT_AUTHORISED naming them', () => {
    expect(refusal(policy, byAlice({ action: 'arbin.start' }))).toBe('BB_COMMAND_NOT_AUTHORISED: command c-1: no policy rule lets key alice-2026 (issuer "alice") run arbin.start on device psu-1');
    expect(refusal(policy, byAlice({ target: { device_id: 'cycler-1', channel: null } }))).toMatch(/^BB_COMMAND_NOT_AUTHORISED: .*on device cycler-1/);
    expect(refusal(policy, byBob({ action: 'arbin.start', target: { device_id: 'cycler-3', channel: 1 } }))).toMatch(/^BB_COMMAND_NOT_AUTHORISED/);
    expect(refusal(policy, byBob({ action: 'arbin.assign_schedule', target: { device_id: 'cycler-1', channel: 1 } }))).toMatch(/^BB_COMMAND_NOT_AUTHORISED/);
    // alice's key is bound to the issuer alice
    expect(refusal(policy, byAlice({ issuer: 'bob' }))).toBe('BB_COMMAND_NOT_AUTHORISED: command c-1: key alice-2026 belongs to issuer "alice", the command names "bob"');
  });

  it('no rules: every signed command is refused', () => {
    expect(refusal(new CommandPolicy({ keys, rules: [] }), byAlice())).toMatch(/^BB_COMMAND_NOT_AUTHORISED/);
  });

  it('keys: ["*"] grants every known key', () => {
    const open = new CommandPolicy({ keys, rules: [{ keys: ['*'], actions: ['*'], devices: ['*'] }] });
    expect(open.authorise(byBob()).keyId).toBe('bob-2026');
  });

  it('requireSignature: false lets unsigned commands through (key id null) and still verifies signed ones', () => {
    const lax = new CommandPolicy({ requireSignature: false, keys, rules: [{ keys: ['alice-2026'], actions: ['*'], devices: ['*'] }] });
    expect(lax.requireSignature).toBe(false);
    expect(lax.authorise(base)).toEqual({ keyId: null, signed: false });
    expect(refusal(lax, { ...byAlice(), action: 'modbus.other' })).toMatch(/^BB_COMMAND_BAD_SIGNATURE/);
  });

  it('refuses a configuration error: a rule naming an unknown key, a key id twice', () => {
    expect(() => new CommandPolicy({ keys, rules: [{ keys: ['alcie-2026'], actions: ['*'], devices: ['*'] }] })).toThrow('policy.rules.0.keys: unknown key id alcie-2026 (known: alice-2026, bob-2026, sched)');
    expect(() => new CommandPolicy({ keys: [...keys, keys[0] as PolicyKey], rules: [] })).toThrow('policy: key id alice-2026 is given twice');
  });
});
