import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/program.js';
import type { CliIo } from '../src/io.js';

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), env };
}

describe('cli > busbar', () => {
  it.each([[['--help']], [['command', 'send', '--help']], [['tail', '--help']], [['schema', '--help']], [['config', 'check', '--help']]])('%j prints help and exits 0', async (argv) => {
    const io = capture();
    expect(await runCli(argv, io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/^Usage: busbar/);
  });

  it('topics --help is busbar-topics\' own usage', async () => {
    const io = capture();
    expect(await runCli(['topics', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/usage: busbar-topics create/);
  });

  it('a usage error exits 2 and names the problem', async () => {
    const io = capture();
    expect(await runCli(['command', 'send', '--action', 'modbus.write'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain("required option '-d, --device <id>' not specified");
    const io2 = capture();
    expect(await runCli(['tail', 'readings', '--max', '0'], io2)).toBe(2);
    expect(io2.stderr.join('\n')).toContain('--max must be a positive integer');
  });

  it('command send without brokers anywhere exits 2 before touching Kafka', async () => {
    const io = capture();
    expect(await runCli(['command', 'send', '--device', 'd', '--action', 'x.y'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('no brokers: give --brokers host:port');
  });
});

describe('cli > busbar schema', () => {
  it('prints every schema with its header in wire order and the fingerprint as a number', async () => {
    const io = capture();
    expect(await runCli(['schema'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toContain('io.busbar.v1.Command (command.avsc)');
    expect(text).toMatch(/header on the wire: {2}c3 01 3e 42 e3 a2 1b 04 b8 67/);
    expect(text).toContain('fingerprint number:  0x67b8041ba2e3423e');
    expect(text).toMatch(/earlier version: {5}c3 01 f4 d5 53 7a b0 61 e2 07 {3}\(history\/command\/v1\.avsc; still read\)/);
  });

  it('one schema by name, as JSON: header bytes equal the little-endian bytes of the number, and the schema follows', async () => {
    const io = capture();
    expect(await runCli(['schema', 'command-result', '--json'], io)).toBe(0);
    const row = JSON.parse(io.stdout[0] ?? '') as { name: string; header: string; fingerprint: string; schema: { name: string } };
    expect(row.name).toBe('io.busbar.v1.CommandResult');
    const le = Buffer.alloc(8);
    le.writeBigUInt64LE(BigInt(row.fingerprint));
    expect(row.header).toBe(`c3 01 ${[...le].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
    expect(row.schema.name).toBe('CommandResult');
  });

  it('an unknown name exits 2 listing the known ones', async () => {
    const io = capture();
    expect(await runCli(['schema', 'Comand'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('no schema named Comand; known: Alert, Command, CommandResult');
  });
});

describe('cli > busbar config check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-cli-config-'));
  const device = '{ id: psu-1, connection: { kind: tcp, host: 127.0.0.1, port: 1502 }, map: { points: [{ name: v, type: holding, address: 0, dataType: uint16, writable: { min: 0, max: 10 } }] } }';

  it('a valid commander file (service guessed from the name) exits 0', async () => {
    writeFileSync(join(dir, 'commander.yaml'), `kafka: { brokers: ["127.0.0.1:9092"] }\nmodbus: { devices: [${device}] }\npolicy: { requireSignature: false }\n`);
    const io = capture();
    expect(await runCli(['config', 'check', join(dir, 'commander.yaml')], io)).toBe(0);
    expect(io.stdout).toEqual([`${join(dir, 'commander.yaml')}: valid commander configuration`]);
  });

  it('an invalid file exits 2 with the service\'s own message naming the field', async () => {
    writeFileSync(join(dir, 'lab.yaml'), `kafka: { brokers: ["127.0.0.1:9092"] }\nmodbus: { devices: [${device}] }\npolicy: { requireSignatures: false }\n`);
    const io = capture();
    expect(await runCli(['config', 'check', '--service', 'commander', join(dir, 'lab.yaml')], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/lab\.yaml is not a valid commander configuration: .*policy.*requireSignatures/s);
  });

  it('a file whose name says nothing is detected: valid for the service that accepts it', async () => {
    writeFileSync(join(dir, 'rack-7.yaml'), `kafka: { brokers: ["127.0.0.1:9092"] }\nmodbus: { devices: [${device}] }\npolicy: { requireSignature: false }\n`);
    const io = capture();
    expect(await runCli(['config', 'check', join(dir, 'rack-7.yaml')], io)).toBe(0);
    expect(io.stdout).toEqual([`${join(dir, 'rack-7.yaml')}: valid commander configuration`]);
  });

  it('an undetectable invalid file exits 2 with the closest service\'s problems, the misspelt key named with a suggestion', async () => {
    const io = capture();
    expect(await runCli(['config', 'check', join(dir, 'lab.yaml')], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/not a valid configuration of any service; closest: commander[\s\S]*requireSignatures: unknown key \(did you mean "requireSignature"\?\)/);
  });

  it('an unknown --service exits 2 naming the choices', async () => {
    const io = capture();
    expect(await runCli(['config', 'check', '--service', 'collector-foo', join(dir, 'lab.yaml')], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('Allowed choices are commander, historian, alerter, collector-modbus');
  });
});
