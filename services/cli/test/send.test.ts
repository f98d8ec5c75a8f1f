import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { verifyCommandSignature } from '@busbar/commands';
import { buildCommand, parseParam } from '../src/send.js';
import type { SendOptions } from '../src/send.js';

const dir = mkdtempSync(join(tmpdir(), 'busbar-cli-send-'));
const pair = generateKeyPairSync('ed25519');
writeFileSync(join(dir, 'alice.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const opts: SendOptions = { device: 'psu-1', action: 'modbus.write', param: ['point=voltage_setpoint_v', 'value=12.5'], lifetimeS: 300, dryRun: false, wait: false, timeoutS: 30 };

describe('cli > command send > parameters', () => {
  it.each([
    ['value=12', ['value', 12]],
    ['value=-1.5e3', ['value', -1500]],
    ['enable=true', ['enable', true]],
    ['enable=false', ['enable', false]],
    ['note=null', ['note', null]],
    ['schedule=CC-CV 1C', ['schedule', 'CC-CV 1C']],
    ['exact:=0012.50', ['exact', '0012.50']],
    ['eq=a=b', ['eq', 'a=b']],
    ['lead=012', ['lead', '012']],
  ])('%s → %j', (item, expected) => {
    expect(parseParam(item)).toEqual(expected);
  });

  it('refuses an item without NAME=', () => {
    expect(() => parseParam('value')).toThrow('--param value: expected NAME=VALUE');
    expect(() => parseParam('=3')).toThrow(/expected NAME=VALUE/);
  });
});

describe('cli > command send > buildCommand', () => {
  it('builds the command with the given lifetime, issuer from the environment, unsigned without a key', () => {
    const c = buildCommand(opts, { BUSBAR_ISSUER: 'lab-bot' }, Date.UTC(2026, 11, 3, 12));
    expect(c).toMatchObject({ issuer: 'lab-bot', target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 12.5 }, dry_run: false });
    expect(c.expires_at.getTime() - c.issued_at.getTime()).toBe(300_000);
    expect(c.command_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.signature).toBeUndefined();
  });

  it('signs with --key/--key-id (or BUSBAR_COMMAND_KEY/_ID): the signature verifies with the public key', () => {
    const fromFlags = buildCommand({ ...opts, key: join(dir, 'alice.pem'), keyId: 'alice-2026', issuer: 'alice' }, {}, Date.now()) as Command;
    expect(fromFlags.key_id).toBe('alice-2026');
    expect(() => verifyCommandSignature(fromFlags, { id: 'alice-2026', algorithm: 'ed25519', key: createPublicKey(pair.publicKey.export({ type: 'spki', format: 'pem' })) })).not.toThrow();
    const fromEnv = buildCommand(opts, { BUSBAR_COMMAND_KEY: join(dir, 'alice.pem'), BUSBAR_COMMAND_KEY_ID: 'k2' }, Date.now());
    expect(fromEnv.key_id).toBe('k2');
  });

  it('refuses --key without --key-id, and an unusable key file', () => {
    expect(() => buildCommand({ ...opts, key: join(dir, 'alice.pem') }, {}, Date.now())).toThrow(/--key needs --key-id/);
    expect(() => buildCommand({ ...opts, key: join(dir, 'none.pem'), keyId: 'k' }, {}, Date.now())).toThrow(/command key file .*none\.pem: cannot be read/);
  });
});
