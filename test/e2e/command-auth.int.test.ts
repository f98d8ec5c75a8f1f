/**
 * Signed and authorised commands end to end, on the real Kafka: the commander with a policy (an
 * Ed25519 key bound to issuer alice, an HMAC-SHA256 key for a scheduler) in front of the power-supply
 * simulator (Modbus TCP). A signed command from an allowed issuer is EXECUTED; unsigned, badly signed,
 * unknown-key and disallowed ones are REJECTED with their codes, never reach the device, are published
 * as REJECTED results (so the historian stores them) and leave one audit line each. Then the `busbar`
 * CLI (the workspace bin, as on PATH after setup) sends with --wait and prints the result, and `busbar
 * tail` decodes the results topic.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '@busbar/core';
import { noopMetrics } from '@busbar/core';
import type { CommandInput } from '@busbar/avro';
import { readCommandKey, signCommand } from '@busbar/commands';
import { commanderConfigSchema, resolveCommanderConfig, startCommander } from '@busbar/commander';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const BUSBAR = join(repo, 'node_modules/.bin/busbar');

type Line = { level: string; msg: string; fields: Record<string, unknown> };
const lines: Line[] = [];
const at = (level: string) => (fields: Record<string, unknown>, msg: string): void => void lines.push({ level, msg, fields });
const logger: Logger = { debug: () => undefined, info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };

let env: PipelineEnv;
let sim: PowerSupplySimulator;
const dir = mkdtempSync(join(tmpdir(), 'busbar-command-auth-'));
const alice = generateKeyPairSync('ed25519');
const mallory = generateKeyPairSync('ed25519');
writeFileSync(join(dir, 'alice.pem'), alice.privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(join(dir, 'alice.pub.pem'), alice.publicKey.export({ type: 'spki', format: 'pem' }));
writeFileSync(join(dir, 'mallory.pem'), mallory.privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(join(dir, 'sched.secret'), `${randomBytes(32).toString('hex')}\n`);
const aliceKey = readCommandKey('alice-2026', 'ed25519', join(dir, 'alice.pem'));
const schedKey = readCommandKey('sched', 'hmac-sha256', join(dir, 'sched.secret'));

function command(over: Partial<CommandInput> & Pick<CommandInput, 'parameters'>): CommandInput {
  return { command_id: randomUUID(), issuer: 'alice', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', ...over };
}

async function resultOf(cmd: CommandInput) {
  await env.sendCommand(cmd);
  const [r] = await env.results.waitFor((x) => x.command_id === cmd.command_id);
  return r!;
}

const auditOf = (id: string): string[] => lines.filter((l) => l.fields['commandId'] === id && typeof l.fields['audit'] === 'string').map((l) => `${String(l.fields['audit'])}:${String(l.fields['outcome'])}:${String(l.fields['code'] ?? '')}`);

function busbar(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const childEnv = {
    ...process.env,
    BUSBAR_KAFKA__BROKERS: env.kafka.brokers.join(','),
    BUSBAR_TOPICS__COMMANDS: env.topics.commands,
    BUSBAR_TOPICS__COMMAND_RESULTS: env.topics.commandResults,
  };
  return new Promise((resolve) => {
    execFile(BUSBAR, args, { env: childEnv, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  [env, sim] = await Promise.all([startPipelineEnv({ namespace: 'cmdauth' }), startPowerSupplySimulator({ seed: 3, tickMs: 50 })]);
  const raw = commanderConfigSchema.parse({
    kafka: { brokers: env.kafka.brokers }, topics: env.topics, groupId: `e2e-cmdauth-${env.run}`,
    journal: { path: join(dir, 'commander.journal.sqlite') },
    modbus: { devices: [{ id: 'psu-1', connection: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, unitId: 1, pollIntervalMs: 1000, timeoutMs: 500, map: { points: POWER_SUPPLY_MAP.points } }] },
    policy: {
      keys: [
        { id: 'alice-2026', algorithm: 'ed25519', file: 'alice.pub.pem', issuer: 'alice' },
        { id: 'sched', algorithm: 'hmac-sha256', file: 'sched.secret' },
      ],
      rules: [
        { keys: ['alice-2026'], actions: ['modbus.*'], devices: ['psu-*'] },
        { keys: ['sched'], actions: ['modbus.write'], devices: ['psu-9'] },
      ],
    },
  });
  env.services.push(await startCommander(resolveCommanderConfig(raw, dir), { logger, metrics: noopMetrics }));
  const historian = historianConfigSchema.parse({ kafka: { brokers: env.kafka.brokers }, topics: env.topics, groupId: `e2e-cmdauth-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, retryInitialMs: 200, retryMaxMs: 1000 } }) as HistorianConfig;
  env.services.push(await startHistorian(historian, { logger: { ...logger, info: () => undefined, warn: () => undefined }, metrics: noopMetrics }));
});

afterAll(async () => {
  await env?.stop(() => sim?.close());
});

describe('commander with a command policy, on the real Kafka', () => {
  it('a command signed by an allowed issuer is EXECUTED on the device, with audit lines admitted → executing → result', async () => {
    const cmd = signCommand(command({ parameters: { point: 'voltage_setpoint_v', value: 12.5 } }), aliceKey);
    expect(await resultOf(cmd)).toMatchObject({ status: 'EXECUTED', device_id: 'psu-1', action: 'modbus.write' });
    expect(sim.state().voltageSetpointV).toBe(12.5);
    expect(auditOf(cmd.command_id)).toEqual(['admitted:ADMITTED:', 'executing:EXECUTING:', 'result:EXECUTED:']);
    const admitted = lines.find((l) => l.fields['commandId'] === cmd.command_id && l.fields['audit'] === 'admitted');
    expect(admitted?.fields).toMatchObject({ issuer: 'alice', keyId: 'alice-2026', deviceId: 'psu-1', action: 'modbus.write' });
  });

  it('unsigned, badly signed, unknown-key and disallowed commands are REJECTED with their codes, published, audited, and never reach the device', async () => {
    const writes = sim.state().writesAccepted;
    const tampered = { ...signCommand(command({ parameters: { point: 'voltage_setpoint_v', value: 5 } }), aliceKey), parameters: { point: 'voltage_setpoint_v', value: 55 } };
    const cases: [string, CommandInput][] = [
      ['BB_COMMAND_UNSIGNED', command({ parameters: { point: 'voltage_setpoint_v', value: 20 } })],
      ['BB_COMMAND_BAD_SIGNATURE', tampered],
      ['BB_COMMAND_BAD_SIGNATURE', signCommand(command({ parameters: { point: 'voltage_setpoint_v', value: 21 } }), { ...aliceKey, key: mallory.privateKey })],
      ['BB_COMMAND_UNKNOWN_KEY', signCommand(command({ issuer: 'mallory', parameters: { point: 'voltage_setpoint_v', value: 22 } }), { id: 'mallory', algorithm: 'ed25519', key: mallory.privateKey })],
      ['BB_COMMAND_NOT_AUTHORISED', signCommand(command({ issuer: 'scheduler', parameters: { point: 'voltage_setpoint_v', value: 23 } }), schedKey)],
      ['BB_COMMAND_NOT_AUTHORISED', signCommand(command({ issuer: 'bob', parameters: { point: 'voltage_setpoint_v', value: 24 } }), aliceKey)],
    ];
    for (const [code, cmd] of cases) {
      const r = await resultOf(cmd);
      expect(r, code).toMatchObject({ status: 'REJECTED', reason_code: code, device_id: 'psu-1' });
      expect(auditOf(cmd.command_id), code).toEqual([`refused:REJECTED:${code}`, `result:REJECTED:${code}`]);
      const refused = lines.find((l) => l.fields['commandId'] === cmd.command_id && l.fields['audit'] === 'refused');
      expect(refused).toMatchObject({ level: 'warn', fields: { issuer: cmd.issuer, deviceId: 'psu-1', action: 'modbus.write' } });
    }
    expect(sim.state().voltageSetpointV).toBe(12.5);
    expect(sim.state().writesAccepted).toBe(writes);

    // the refusals are stored by the historian like every result (measurement command_result)
    const ids = new Set(cases.map(([, c]) => c.command_id));
    const flux = `from(bucket: "${env.influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "command_result" and r._field == "command_id" and r.status == "REJECTED")`;
    await eventually(async () => new Set((await env.influxQuery(flux)).map((row) => String(row['_value'])).filter((id) => ids.has(id))).size === ids.size, 'the six REJECTED results in InfluxDB', 30_000);
  });

  it('an expired signed command is EXPIRED (its expiry is signed: a replay cannot extend it)', async () => {
    const cmd = signCommand(command({ expires_at: new Date(Date.now() - 1000), parameters: { point: 'voltage_setpoint_v', value: 30 } }), aliceKey);
    expect(await resultOf(cmd)).toMatchObject({ status: 'EXPIRED', reason_code: 'BB_COMMAND_EXPIRED' });
    const extended = { ...cmd, command_id: randomUUID(), expires_at: new Date(Date.now() + 60_000) };
    expect(await resultOf(extended)).toMatchObject({ status: 'REJECTED', reason_code: 'BB_COMMAND_BAD_SIGNATURE' });
    expect(sim.state().voltageSetpointV).toBe(12.5);
  });
});

describe('busbar CLI against the running commander', () => {
  it('is linked as the workspace bin (on PATH after setup)', () => {
    expect(existsSync(BUSBAR), `${BUSBAR} missing: run npm install and npx turbo run build --filter=@busbar/cli`).toBe(true);
  });

  it('command send --key --wait prints the EXECUTED result and exits 0', async () => {
    const id = randomUUID();
    const { code, stdout, stderr } = await busbar(['command', 'send', '--device', 'psu-1', '--action', 'modbus.write', '--param', 'point=voltage_setpoint_v', '--param', 'value=14', '--issuer', 'alice', '--key', join(dir, 'alice.pem'), '--key-id', 'alice-2026', '--command-id', id, '--wait', '--timeout', '60']);
    expect(stderr).toContain(`sent command ${id}`);
    const result = JSON.parse(stdout.trim()) as Record<string, unknown>;
    expect(result).toMatchObject({ command_id: id, status: 'EXECUTED', device_id: 'psu-1', action: 'modbus.write', reason_code: null });
    expect(code).toBe(0);
    expect(sim.state().voltageSetpointV).toBe(14);
  });

  it('an unsigned send --wait prints the REJECTED result (BB_COMMAND_UNSIGNED) and exits 1', async () => {
    const { code, stdout, stderr } = await busbar(['command', 'send', '--device', 'psu-1', '--action', 'modbus.write', '--param', 'point=voltage_setpoint_v', '--param', 'value=15', '--wait', '--timeout', '60']);
    expect(stderr).toContain('is NOT signed');
    expect(JSON.parse(stdout.trim())).toMatchObject({ status: 'REJECTED', reason_code: 'BB_COMMAND_UNSIGNED' });
    expect(code).toBe(1);
    expect(sim.state().voltageSetpointV).toBe(14);
  });

  it('topics create --dry-run is busbar-topics: one line per topic, the run\'s topics found, nothing changed', async () => {
    const { code, stdout } = await busbar(['topics', 'create', '--dry-run', '--timeout-s', '30']);
    expect(code).toBe(0);
    const rows = stdout.trim().split('\n');
    expect(rows.find((l) => l.startsWith(`${env.topics.commands}  `))).toMatch(/partitions=3/);
    expect(rows.find((l) => l.startsWith(`${env.topics.commandResults}  `))).toBeDefined();
  });

  it('tail command-results --from-beginning decodes every result as a JSON line', async () => {
    const published = (await env.results.waitFor(() => true, 11)).length; // 1 + 6 + 2 results above, 2 from the CLI
    const { code, stdout } = await busbar(['tail', 'command-results', '--from-beginning', '--max', String(published), '--timeout', '60']);
    expect(code).toBe(0);
    const records = stdout.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; key: string; value: { command_id: string; status: string; timestamp: string } });
    expect(records).toHaveLength(published);
    expect(records.every((r) => r.topic === env.topics.commandResults && r.key === 'psu-1')).toBe(true);
    expect(new Set(records.map((r) => r.value.command_id))).toEqual(new Set(env.results.where(() => true).map((r) => r.command_id)));
    expect(records.map((r) => r.value.status)).toContain('REJECTED');
    expect(records[0]!.value.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
