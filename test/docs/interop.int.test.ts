/**
 * docs/interop.md runs as written: its Python snippet (fastavro, from the peers venv —
 * scripts/peers/setup-venv.sh) and its Java snippet (Apache Avro 1.11 `BinaryMessageDecoder` /
 * `BinaryMessageEncoder`, on the Kafka Connect classpath that scripts/infra/fetch-connect.sh fetches
 * from Maven Central) decode Readings that Busbar's serde encoded, and produce Commands that
 * Busbar's serde decodes — with nothing but the `.avsc` files of schemas/.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { commandSerde, readingSerde } from '@busbar/avro';
import type { ReadingInput } from '@busbar/avro';
import { cacheDir, DEFAULT_APICURIO_VERSION, DEFAULT_KAFKA_VERSION } from '@busbar/testkit';
import { peersPython } from '../../deploy/local/rig-peers.js';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCHEMAS = join(ROOT, 'schemas');
const doc = readFileSync(join(ROOT, 'docs', 'interop.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'busbar-interop-doc-'));
const connectLibs = join(cacheDir(), 'connect', `${process.env['BUSBAR_KAFKA_VERSION'] || DEFAULT_KAFKA_VERSION}-apicurio-${process.env['BUSBAR_APICURIO_VERSION'] || DEFAULT_APICURIO_VERSION}`, 'libs');

/** The first fenced block of `lang` in docs/interop.md. */
function snippet(lang: string): string {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc);
  if (m === null) throw new Error(`docs/interop.md has no ${lang} block`);
  return m[1]!;
}

const readings: ReadingInput[] = [
  { device_id: 'psu-1', protocol: 'modbus', channel: null, timestamp: new Date(Date.UTC(2026, 11, 3, 12, 0, 0)), values: { voltage_v: 12.5, current_a: 1.25 }, states: { mode: 'CV' }, sequence: 7 },
  { device_id: 'arbin-1', protocol: 'arbin-cti', channel: 3, timestamp: new Date(Date.UTC(2026, 11, 3, 12, 0, 1)), values: { voltage_v: 3.7 }, sequence: 8 },
];
const readingsFile = join(dir, 'readings.hex');
writeFileSync(readingsFile, readings.map((r) => Buffer.from(readingSerde.encode(r)).toString('hex')).join('\n') + '\n');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command a snippet printed (`COMMAND <hex>`), decoded by Busbar. */
function commandOf(stdout: string) {
  const hex = /^COMMAND ([0-9a-f]+)$/m.exec(stdout)?.[1];
  expect(hex, stdout).toBeDefined();
  const bytes = Buffer.from(hex!, 'hex');
  expect(bytes.subarray(0, 10).toString('hex')).toBe('c301f4d5537ab061e207'); // Command 07e261b07a53d5f4, little-endian
  return commandSerde.decode(bytes);
}

describe('docs/interop.md', () => {
  it('the Python snippet (fastavro) decodes Busbar readings and produces a command Busbar decodes', async () => {
    const py = peersPython();
    if (py === undefined) throw new Error('peers Python not found: run `bash scripts/peers/setup-venv.sh` (or set BUSBAR_PEERS_PYTHON)');
    writeFileSync(join(dir, 'busbar_interop.py'), snippet('python'));
    const { stdout } = await run(py, [join(dir, 'busbar_interop.py'), SCHEMAS, readingsFile], { timeout: 60_000 });
    const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { device: 'psu-1', channel: null, timestamp: '2026-12-03T12:00:00+00:00', values: { voltage_v: 12.5, current_a: 1.25 } },
      { device: 'arbin-1', channel: 3, timestamp: '2026-12-03T12:00:01+00:00', values: { voltage_v: 3.7 } },
    ]);
    const cmd = commandOf(stdout);
    expect(cmd).toMatchObject({ issuer: 'python-snippet', target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { voltage_setpoint_v: 24 }, dry_run: true });
    expect(cmd.expires_at.getTime() - cmd.issued_at.getTime()).toBe(60_000);
  });

  it('the Java snippet (Avro BinaryMessageDecoder/Encoder) decodes Busbar readings and produces a command Busbar decodes', async () => {
    if (!existsSync(connectLibs)) throw new Error(`Avro jars not found in ${connectLibs}: run \`bash scripts/infra/fetch-connect.sh\` (or scripts/infra/fetch-all.sh)`);
    writeFileSync(join(dir, 'BusbarInterop.java'), snippet('java'));
    // Java's single-file source launcher: compiles in memory and runs
    const { stdout } = await run('java', ['-cp', `${connectLibs}/*`, join(dir, 'BusbarInterop.java'), SCHEMAS, readingsFile], { timeout: 120_000 });
    expect(stdout.split('\n').filter((l) => l.startsWith('READING'))).toEqual([
      `READING device=psu-1 channel=null timestamp_us=${Date.UTC(2026, 11, 3, 12, 0, 0) * 1000} values={voltage_v=12.5, current_a=1.25}`,
      `READING device=arbin-1 channel=3 timestamp_us=${Date.UTC(2026, 11, 3, 12, 0, 1) * 1000} values={voltage_v=3.7}`,
    ]);
    const cmd = commandOf(stdout);
    expect(cmd).toMatchObject({ issuer: 'java-snippet', target: { device_id: 'psu-1', channel: null }, action: 'modbus.write', parameters: { voltage_setpoint_v: 24 }, dry_run: true });
    expect(cmd.expires_at.getTime() - cmd.issued_at.getTime()).toBe(60_000);
  });
});
