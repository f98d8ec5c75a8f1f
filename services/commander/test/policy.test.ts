import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from '@busbar/core';
import { signCommand } from '@busbar/commands';
import type { Command } from '@busbar/avro';
import { commanderConfigSchema } from '../src/config.js';
import { auditLogger, buildCommandPolicy } from '../src/policy.js';

type Line = { level: string; fields: Record<string, unknown>; msg: string };
function memoryLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string): void => void lines.push({ level, fields, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, lines };
}

const base = { kafka: { brokers: ['127.0.0.1:9092'] }, modbus: { devices: [{ id: 'psu-1', connection: { kind: 'tcp', host: '127.0.0.1', port: 1502 }, map: { points: [{ name: 'v', type: 'holding', address: 0, dataType: 'uint16', writable: { min: 0, max: 10 } }] } }] } };
const dir = mkdtempSync(join(tmpdir(), 'busbar-commander-policy-'));
const alice = generateKeyPairSync('ed25519');
writeFileSync(join(dir, 'alice.pub.pem'), alice.publicKey.export({ type: 'spki', format: 'pem' }));

describe('commander > policy section', () => {
  it('absent: signatures required, no keys, no rules — and the start warns that every command will be refused', () => {
    const c = commanderConfigSchema.parse(base);
    expect(c.policy).toEqual({ requireSignature: true, keys: [], rules: [] });
    const { logger, lines } = memoryLogger();
    const policy = buildCommandPolicy(c.policy, dir, logger);
    expect(policy.requireSignature).toBe(true);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([expect.stringMatching(/has no keys: every command will be REJECTED/)]);
  });

  it('requireSignature: false is logged as a warning at start (migration)', () => {
    const { logger, lines } = memoryLogger();
    buildCommandPolicy(commanderConfigSchema.parse({ ...base, policy: { requireSignature: false } }).policy, dir, logger);
    expect(lines.find((l) => l.level === 'warn')).toMatchObject({ fields: { requireSignature: false }, msg: expect.stringMatching(/UNSIGNED commands are executed/) });
  });

  it('reads key files relative to the configuration directory and authorises by its rules', () => {
    const c = commanderConfigSchema.parse({ ...base, policy: { keys: [{ id: 'alice-2026', algorithm: 'ed25519', file: 'alice.pub.pem', issuer: 'alice' }], rules: [{ keys: ['alice-2026'], actions: ['modbus.*'], devices: ['psu-*'] }] } });
    const policy = buildCommandPolicy(c.policy, dir, memoryLogger().logger);
    const cmd: Command = { command_id: 'c-1', issuer: 'alice', issued_at: new Date(0), expires_at: new Date(60_000), target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { point: 'v', value: 1 }, dry_run: false };
    expect(policy.authorise(signCommand(cmd, { id: 'alice-2026', algorithm: 'ed25519', key: alice.privateKey })).keyId).toBe('alice-2026');
  });

  it('refuses unknown keys in the section, a missing key file, a rule naming an unknown key id — naming the path', () => {
    const bad = commanderConfigSchema.safeParse({ ...base, policy: { requireSignatures: false } });
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.code}`)).toEqual(['policy: unrecognized_keys']);
    const noSecretInline = commanderConfigSchema.safeParse({ ...base, policy: { keys: [{ id: 'k', algorithm: 'hmac-sha256', secret: 'abc' }] } });
    expect(noSecretInline.success).toBe(false);
    const missing = commanderConfigSchema.parse({ ...base, policy: { keys: [{ id: 'bob', algorithm: 'ed25519', file: 'bob.pub.pem' }] } });
    expect(() => buildCommandPolicy(missing.policy, dir, memoryLogger().logger)).toThrow(/^policy\.keys\.0 \(bob\): command key file .*bob\.pub\.pem: cannot be read/);
    const typo = commanderConfigSchema.parse({ ...base, policy: { keys: [{ id: 'alice-2026', algorithm: 'ed25519', file: 'alice.pub.pem' }], rules: [{ keys: ['alcie-2026'], actions: ['*'], devices: ['*'] }] } });
    expect(() => buildCommandPolicy(typo.policy, dir, memoryLogger().logger)).toThrow('policy.rules.0.keys: unknown key id alcie-2026 (known: alice-2026)');
  });
});

describe('commander > audit log', () => {
  it('one line per step, every fact in its own key; refusals at warn, executions at info', () => {
    const { logger, lines } = memoryLogger();
    const audit = auditLogger(logger);
    const who = { commandId: 'c-1', issuer: 'alice', keyId: 'alice-2026', deviceId: 'psu-1', action: 'modbus.write' };
    audit({ event: 'refused', ...who, outcome: 'REJECTED', code: 'BB_COMMAND_NOT_AUTHORISED', reason: 'no rule' });
    audit({ event: 'result', ...who, outcome: 'EXECUTED', code: null, reason: null });
    expect(lines).toEqual([
      { level: 'warn', msg: 'command refused', fields: { audit: 'refused', ...who, outcome: 'REJECTED', code: 'BB_COMMAND_NOT_AUTHORISED', reason: 'no rule' } },
      { level: 'info', msg: 'command result', fields: { audit: 'result', ...who, outcome: 'EXECUTED', code: null, reason: null } },
    ]);
  });
});
