/**
 * What checking a signed command costs: `CommandPolicy.authorise` (canonical bytes, signature
 * verification, rule globs) per command, for Ed25519 and HMAC-SHA256 keys, and a `CommandExecutor`
 * with and without the policy (the device action returns at once). Printed as commands/s and µs per
 * command. Not an assertion: `npm run bench -w @busbar/commands` (`BENCH_N` commands, default 2000).
 */
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Command } from '@busbar/avro';
import { CommandExecutor } from '../src/executor.js';
import { CommandPolicy } from '../src/policy.js';
import type { CommandKey } from '../src/signing.js';
import { signCommand } from '../src/signing.js';

const n = Number(process.env['BENCH_N'] ?? 2000);
const ed = generateKeyPairSync('ed25519');
const secret = createSecretKey(randomBytes(32));
const signers: CommandKey[] = [{ id: 'ed', algorithm: 'ed25519', key: ed.privateKey }, { id: 'mac', algorithm: 'hmac-sha256', key: secret }];
const policy = new CommandPolicy({
  keys: [{ id: 'ed', algorithm: 'ed25519', key: ed.publicKey }, { id: 'mac', algorithm: 'hmac-sha256', key: secret }],
  rules: [{ keys: ['*'], actions: ['modbus.*', 'arbin.{start,stop}'], devices: ['psu-*', 'cycler-?'] }],
});

function command(i: number, run: string, key: CommandKey | undefined): Command {
  const now = Date.now();
  const c: Command = { command_id: `${run}-${i}`, issuer: 'bench', issued_at: new Date(now), expires_at: new Date(now + 60_000), target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: i % 60 }, dry_run: false };
  return key ? signCommand(c, key) : c;
}

function report(name: string, s: number): void {
  console.log(`${name.padEnd(30)} ${Math.round(n / s).toLocaleString('en-US').padStart(10)} commands/s  ${((s / n) * 1e6).toFixed(1).padStart(8)} µs/command  (${n} in ${s.toFixed(3)} s)`);
}

for (const key of signers) {
  const cmds = Array.from({ length: n }, (_, i) => command(i, key.id, key));
  for (const c of cmds.slice(0, 200)) policy.authorise(c);
  const t0 = process.hrtime.bigint();
  for (const c of cmds) policy.authorise(c);
  report(`authorise (${key.algorithm})`, Number(process.hrtime.bigint() - t0) / 1e9);
}

for (const [name, key] of [['executor, no policy', undefined], ['executor, policy, ed25519', signers[0]]] as const) {
  const ex = new CommandExecutor({ ...(key ? { authorise: (c: Command) => policy.authorise(c) } : {}), resolve: () => ({ kind: 'execute', action: { summary: 'write', run: async () => ({}) } }) });
  const cmds = Array.from({ length: n }, (_, i) => command(i, name, key));
  const t0 = process.hrtime.bigint();
  for (const c of cmds) await ex.handle(c);
  report(name, Number(process.hrtime.bigint() - t0) / 1e9);
}
