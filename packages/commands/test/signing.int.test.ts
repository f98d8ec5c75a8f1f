/**
 * Interop of the canonical form, live: test/peers/sign_command.py (Python `cryptography`, written
 * from docs/commands.md alone) signs fresh commands with fresh keys, and this side verifies them;
 * and the other way round, Node signs and Python verifies. Runs the peers venv's interpreter
 * (BUSBAR_PEERS_PYTHON, else <repo>/.venv/peers/bin/python; scripts/peers/setup-venv.sh).
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Command, CommandParameter } from '@busbar/avro';
import { canonicalCommandBytes, signCommand, verifyCommandSignature } from '../src/signing.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const script = fileURLToPath(new URL('./peers/sign_command.py', import.meta.url));

function peersPython(): string {
  const py = process.env['BUSBAR_PEERS_PYTHON'] ?? `${repo}.venv/peers/bin/python`;
  if (!existsSync(py)) throw new Error(`peers Python not found at ${py}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
  return py;
}

function python(request: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = execFile(peersPython(), [script], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
    child.stdin?.end(JSON.stringify(request));
  });
}

/** A command with random text (multi-byte included), channel, parameters of every type. */
function randomCommand(i: number): Command {
  const now = Date.now() + i;
  const params: Record<string, CommandParameter> = {
    [`p_${i}_é`]: (i % 7) - 3 + 0.25,
    'ñame': `v${randomBytes(3).toString('hex')} ✓`,
    flag: i % 2 === 0,
    none: null,
    int: i * 1_000_003,
    [`\u{1F50B}${i}`]: 'battery',
  };
  return {
    command_id: randomUUID(), issuer: `issuer-${i}-ü`, key_id: `key-${i}`, issued_at: new Date(now), expires_at: new Date(now + 60_000 + i),
    target: { device_id: `dev-${i}`, channel: i % 3 === 0 ? null : i }, action: `proto.act_${i}`, parameters: params, dry_run: i % 4 === 0, signature: null,
  };
}

function asPython(c: Command): Record<string, unknown> {
  return { command_id: c.command_id, issuer: c.issuer, key_id: c.key_id, issued_at_ms: c.issued_at.getTime(), expires_at_ms: c.expires_at.getTime(), device_id: c.target.device_id, channel: c.target.channel, action: c.action, parameters: c.parameters, dry_run: c.dry_run };
}

describe('commands > signing > live interop with Python cryptography', () => {
  it('Python signs (Ed25519, fresh key), Node computes the same canonical bytes and verifies', async () => {
    for (let i = 0; i < 5; i++) {
      const c = randomCommand(i);
      const r = await python({ op: 'sign', command: asPython(c), key: { algorithm: 'ed25519' } });
      expect(canonicalCommandBytes(c).toString('hex')).toBe(r['canonical_hex']);
      const key = createPublicKey((r['key'] as { public_pem: string }).public_pem);
      expect(() => verifyCommandSignature({ ...c, signature: Buffer.from(String(r['signature_hex']), 'hex') }, { id: c.key_id ?? '', algorithm: 'ed25519', key })).not.toThrow();
    }
  });

  it('Node signs (Ed25519 and HMAC-SHA256), Python verifies; an altered command does not verify there either', async () => {
    const pair = generateKeyPairSync('ed25519');
    const secret = randomBytes(32).toString('hex');
    for (let i = 5; i < 8; i++) {
      const c = randomCommand(i);
      const ed = signCommand(c, { id: c.key_id ?? '', algorithm: 'ed25519', key: createPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' })) });
      const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expect(await python({ op: 'verify', command: asPython(ed), signature_hex: ed.signature.toString('hex'), key: { algorithm: 'ed25519', public_pem: pem } })).toMatchObject({ ok: true });
      const mac = signCommand(c, { id: c.key_id ?? '', algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(secret)) });
      expect(await python({ op: 'verify', command: asPython(mac), signature_hex: mac.signature.toString('hex'), key: { algorithm: 'hmac-sha256', secret } })).toMatchObject({ ok: true });
      const altered = { ...asPython(ed), device_id: 'another' };
      expect(await python({ op: 'verify', command: altered, signature_hex: ed.signature.toString('hex'), key: { algorithm: 'ed25519', public_pem: pem } })).toMatchObject({ ok: false });
    }
  });
});
