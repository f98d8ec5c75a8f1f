/**
 * End to end on the real servers (Kafka and InfluxDB started by @busbar/testkit): the BaSyTec
 * simulator writes a growing Resultfile → BaSyTec collector → Kafka (Avro) → historian → InfluxDB;
 * commander → (routed over Kafka: the RCI session is exclusive) → BaSyTec collector → RCI templates
 * → RCI simulator, with the ≤ 10 commands/s limit measured at the simulator's side. Then the
 * collector as a real process, killed with SIGKILL twice while its source grows at 10 rows/s for
 * 60 s — a Resultfile, a real PostgreSQL and a real MariaDB database (testkit) filled by the
 * simulator: every DataSet in Kafka (at least once: a kill between Kafka's acknowledgement and the
 * cursor's write re-sends that poll's rows, counted and bounded).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { CommandInput, CommandResult, Reading } from '@busbar/avro';
import { commandSerde } from '@busbar/avro';
import { collectorConfigSchema, startBasytecCollector } from '@busbar/collector-basytec';
import type { CollectorConfig } from '@busbar/collector-basytec';
import { historianConfigSchema, startHistorian } from '@busbar/historian';
import type { HistorianConfig } from '@busbar/historian';
import { commanderConfigSchema, resolveCommanderConfig, startCommander } from '@busbar/commander';
import { DEFAULT_PLAN, EXAMPLE_DB_MAPPING, EXAMPLE_RCI_TEMPLATES, connectMariadb, connectPostgres, sqlDbSink, startBasytecSimulator, startRciSimulator } from '@busbar/driver-basytec';
import type { BasytecSimulator, RciSimulator } from '@busbar/driver-basytec';
import { resolveBasytecDevice } from '@busbar/module-basytec';
import { startMariadb, startPostgres } from '@busbar/testkit';
import { runsAlone } from '@busbar/testkit/shared';
import type { BasytecDeviceInput } from '@busbar/module-basytec';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';
import { eventually } from '../support/recorder.js';

runsAlone('measures the ≤ 10 commands/s limit at the RCI simulator, and kills three collector processes at wall-clock times');

const deps = { logger: noopLogger, metrics: noopMetrics };
const DEVICE = 'basytec-1';
const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'busbar-e2e-basytec-'));
const nowStart = (): { year: number; month: number; day: number; hour: number; minute: number; second: number } => {
  const d = new Date();
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
};

let env: PipelineEnv;
let sim: BasytecSimulator;
let rci: RciSimulator;

function device(id: string, exportDir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id, timeZone: 'UTC', timestampSource: 'elapsed', pollIntervalMs: 500, cursorFile: join(dir, `${id}.cursors.json`),
    resultFiles: { dir: exportDir }, ...extra,
  };
}

const rciSection = (port: number): Record<string, unknown> => ({ host: '127.0.0.1', port, templates: EXAMPLE_RCI_TEMPLATES, plans: ['capacity.pln'], channels: [1, 2, 3, 4, 5], defaultTimeoutMs: 10_000 });

async function command(action: string, channel: number, parameters: CommandInput['parameters'] = {}): Promise<CommandResult> {
  const id = await env.sendCommand({ target: { device_id: DEVICE, channel }, action, parameters });
  const [r] = await env.results.waitFor((x) => x.command_id === id, 1, 30_000);
  return r!;
}

beforeAll(async () => {
  mkdirSync(join(dir, 'export'));
  [env, rci] = await Promise.all([startPipelineEnv({ clientId: 'e2e-basytec', namespace: 'basytec' }), startRciSimulator({ templates: EXAMPLE_RCI_TEMPLATES, plans: ['capacity.pln', 'pulse.pln'], replyDelayMs: 10 })]);
  sim = await startBasytecSimulator({
    rowsPerSecond: 10, test: { plan: DEFAULT_PLAN, cycles: Infinity, sample_s: 1 },
    resultfile: { dir: join(dir, 'export'), fileName: 'cell_A.txt', format: { testName: 'cell_A', channel: '0101 CH03 SIM', plan: 'capacity.pln', start: nowStart() } },
  });
  const kafkaCfg = { brokers: env.kafka.brokers };
  const devices = [device(DEVICE, join(dir, 'export'), { rci: rciSection(rci.port) })];
  const raw = collectorConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, instanceId: `e2e-${env.run}`, buffer: { path: join(dir, 'buffer.sqlite') }, devices });
  const collectorCfg = { ...raw, devices: (raw.devices as BasytecDeviceInput[]).map((d) => resolveBasytecDevice(d, dir, dir)) } as CollectorConfig;
  const historianCfg = historianConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-historian-${env.run}`, influx: { url: env.influx.url, org: env.influx.org, bucket: env.influx.bucket, token: env.influx.token, retryInitialMs: 200, retryMaxMs: 1000 } }) as HistorianConfig;
  const commanderRaw = commanderConfigSchema.parse({ kafka: kafkaCfg, topics: env.topics, groupId: `e2e-commander-${env.run}`, policy: { requireSignature: false }, basytec: { devices } });
  const commanderCfg = resolveCommanderConfig(commanderRaw, dir);
  env.services.push(await startBasytecCollector(collectorCfg, deps), await startHistorian(historianCfg, deps), await startCommander(commanderCfg, deps));
}, 240_000);

afterAll(async () => {
  await env?.stop(() => sim?.stop(), () => rci?.close());
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('e2e > basytec pipeline', () => {
  it('stores the rows of the growing Resultfile in InfluxDB as channel readings with SI names, stamped Start of Test + elapsed', async () => {
    const [r] = await env.readings.waitFor((x) => x.device_id === DEVICE && x.values.data_set === 30, 1, 30_000);
    expect(r).toMatchObject({ protocol: 'basytec', channel: 3, quality: 'GOOD', states: { test_name: 'cell_A', plan: 'capacity.pln', testchannel: '0101 CH03 SIM', source: 'file', timestamp_source: 'elapsed' } });
    expect(Object.keys(r!.values)).toEqual(expect.arrayContaining(['voltage_v', 'current_a', 'power_w', 'charge_ah', 'energy_wh', 'temperature_1_c', 'resistance_dc_ohm', 'test_time_s', 'step_time_s']));
    const first = env.readings.where((x) => x.device_id === DEVICE && x.values.data_set === 1)[0]!;
    expect(r!.timestamp.getTime() - first.timestamp.getTime()).toBe((r!.values.test_time_s! - first.values.test_time_s!) * 1000);
    const at = r!.timestamp.toISOString();
    let rows: Record<string, unknown>[] = [];
    await eventually(async () => {
      rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -1h, stop: 2h) |> filter(fn: (r) => r._measurement == "cycler_channel" and r.device == "${DEVICE}" and r.channel == "0003" and r._time == time(v: "${at}"))`);
      // each field is its own series in InfluxDB: a query racing the write may see some of them first
      return Object.keys(r!.values).every((name) => rows.some((x) => x._field === name));
    }, 'every value of the DataSet 30 reading in InfluxDB', 30_000);
    const byField = Object.fromEntries(rows.map((x) => [x._field as string, x._value]));
    for (const [name, v] of Object.entries(r!.values)) expect(byField[name], name).toBeCloseTo(v, 6);
    // step and test transitions as DeviceEvents
    const [started] = await env.events.waitFor((e) => e.device_id === DEVICE && e.details.transition === 'test-started');
    expect(started).toMatchObject({ kind: 'STATE_CHANGE', channel: 3, state: 'Pause', details: { test_name: 'cell_A', plan: 'capacity.pln', data_set: '1' } });
    const [step] = await env.events.waitFor((e) => e.device_id === DEVICE && e.details.transition === 'step-changed', 1, 30_000);
    expect(step).toMatchObject({ previous_state: 'Pause', state: 'Charge', details: { previous_step: started!.details.step } });
    expect(Number(step!.details.step)).toBe(Number(started!.details.step) + 1);
  }, 90_000);

  it('starts and stops a test over the RCI templates through the commander; refusals come back with their code', async () => {
    const started = await command('basytec.start_test', 2, { plan: 'capacity.pln' });
    expect(started).toMatchObject({ status: 'EXECUTED', channel: 2, details: { rci_request: 'START 2 capacity.pln', rci_reply: 'OK START 2' } });
    expect(rci.channels.get('2')).toBe('running');
    const again = await command('basytec.start_test', 2, { plan: 'capacity.pln' });
    expect(again).toMatchObject({ status: 'REJECTED', reason_code: 'BB_BASYTEC_RCI_REFUSED', details: { request: 'START 2 capacity.pln', reply: 'ERR START 2 channel busy', reason: 'channel busy' } });
    const before = rci.received.length;
    const notAllowed = await command('basytec.start_test', 2, { plan: 'pulse.pln' });
    expect(notAllowed).toMatchObject({ status: 'REJECTED', reason_code: 'BB_BASYTEC_PLAN_NOT_ALLOWED' });
    expect(rci.received.length).toBe(before); // refused by the commander: never sent
    const stopped = await command('basytec.stop_test', 2);
    expect(stopped).toMatchObject({ status: 'EXECUTED', details: { rci_reply: 'OK STOP 2' } });
    expect(rci.channels.get('2')).toBe('idle');
  }, 90_000);

  it('a burst of 100 commands through the commander reaches the tester at ≤ 10/s: never 11 in one second, ≥ 9.9 s in all', async () => {
    const before = rci.received.length;
    const ids: string[] = Array.from({ length: 100 }, () => randomUUID());
    const t0 = Date.now();
    await env.producer.send({
      topic: env.topics.commands,
      messages: ids.map((command_id, i) => ({
        key: DEVICE,
        value: commandSerde.encode({
          command_id, issuer: 'e2e', issued_at: new Date(), expires_at: new Date(Date.now() + 180_000), dry_run: false,
          target: { device_id: DEVICE, channel: 4 }, action: i % 2 === 0 ? 'basytec.start_test' : 'basytec.stop_test', parameters: i % 2 === 0 ? { plan: 'capacity.pln' } : {},
        }),
      })),
    });
    const results = await env.results.waitFor((x) => ids.includes(x.command_id), 100, 120_000);
    const elapsed = Date.now() - t0;
    expect(results.map((r) => r.status)).toEqual(Array(100).fill('EXECUTED'));
    const at = rci.received.slice(before).map((r) => r.atMs);
    expect(at).toHaveLength(100);
    // any 11 consecutive arrivals span a second (less a loopback jitter allowance): never 11 in one second
    for (let i = 10; i < at.length; i++) expect(at[i]! - at[i - 10]!, `arrivals ${i - 10}..${i}`).toBeGreaterThan(950);
    expect(at[99]! - at[0]!).toBeGreaterThanOrEqual(9_900 - 20);
    expect(elapsed).toBeGreaterThanOrEqual(9_900);
    const windows = at.slice(10).map((t, i) => t - at[i]!);
    process.stdout.write(`[basytec burst] 100 commands: first→last arrival ${at[99]! - at[0]!} ms, shortest span of 11 consecutive arrivals ${Math.min(...windows)} ms, send→last result ${elapsed} ms\n`);
  }, 180_000);
});

// the three sources run side by side (each its own device, process and files): a third of the wall time
describe.concurrent('e2e > basytec collector killed with SIGKILL twice while its source grows at 10 rows/s', () => {
  const ROWS = 600; // 60 s at 10 rows/s

  function startProcess(config: string, log: string, extraEnv: Record<string, string>): ChildProcess {
    const out = openSync(log, 'a');
    return spawn(process.execPath, ['--conditions=@busbar/source', '--import', 'tsx', 'services/collectors/basytec/src/main.ts', '--config', config], {
      cwd: root, stdio: ['ignore', out, out], env: { PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv },
    });
  }
  const exited = (p: ChildProcess): Promise<unknown> => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(undefined) : p.once('exit', r)));

  /**
   * Starts the collector process on `deviceEntry`, kills it with SIGKILL after 15 s and again 20 s
   * later (restarting it 2 s after each kill), waits for the source's last row in Kafka, and checks
   * that every DataSet 1..ROWS was published, none more than twice, and the repeats only a poll's
   * rows in flight at a kill (`maxPollRows`: the source's rows per poll).
   */
  async function killTwice(name: string, deviceEntry: Record<string, unknown>, source: BasytecSimulator, maxPollRows: number, extraEnv: Record<string, string> = {}): Promise<void> {
    const id = deviceEntry.id as string;
    const config = join(dir, `collector-${name}.yaml`);
    const log = join(dir, `collector-${name}.log`);
    writeFileSync(config, stringify({
      kafka: { brokers: env.kafka.brokers }, topics: env.topics, instanceId: `e2e-${name}-${env.run}`, ops: { port: 0 },
      buffer: { path: join(dir, `${name}-buffer.sqlite`) }, devices: [deviceEntry],
    }));
    const published = (): Reading[] => env.readings.where((r) => r.device_id === id);
    let proc = startProcess(config, log, extraEnv);
    try {
      for (const killAfterMs of [15_000, 20_000]) {
        await new Promise((r) => setTimeout(r, killAfterMs));
        const seen = published().length;
        expect(seen, `rows published before the kill (log: ${readFileSync(log, 'utf8').slice(-2000)})`).toBeGreaterThan(0);
        // no row the source has not written (caught up at this instant or not: the source keeps growing after the kill); its
        // count goes up once a write has returned, and a database row can be read by the collector before that: polled
        await expect.poll(() => source.written(), { timeout: 5000 }).toBeGreaterThanOrEqual(seen);
        proc.kill('SIGKILL');
        await exited(proc);
        await new Promise((r) => setTimeout(r, 2000));
        proc = startProcess(config, log, extraEnv);
      }
      await source.done;
      await env.readings.waitFor((r) => r.device_id === id && r.values.data_set === ROWS, 1, 60_000);
      await new Promise((r) => setTimeout(r, 3000)); // a late duplicate would show up now
    } finally {
      proc.kill('SIGTERM');
      await exited(proc);
    }
    const counts = new Map<number, number>();
    for (const s of published().map((r) => r.values.data_set!)) counts.set(s, (counts.get(s) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    // at least once: the cursors advance after Kafka's acknowledgement, so a kill between the two sends
    // that poll's rows again after the restart (the historian's writes are idempotent) — at most one
    // poll's rows per kill, each sent twice at most, as contiguous runs of DataSets
    const twice = [...counts].filter(([, n]) => n > 1).map(([set]) => set).sort((a, b) => a - b);
    expect(Math.max(0, ...counts.values()), 'a DataSet published more than twice').toBeLessThanOrEqual(2);
    const runs = twice.reduce<number[][]>((acc, set) => {
      const last = acc[acc.length - 1];
      if (last !== undefined && set === last[last.length - 1]! + 1) last.push(set);
      else acc.push([set]);
      return acc;
    }, []);
    expect(runs.length, `DataSets sent again (${JSON.stringify(runs.map((r) => `${r[0]}–${r[r.length - 1]}`))}): more runs than kills`).toBeLessThanOrEqual(2);
    for (const r of runs) expect(r.length, 'a run sent again longer than one poll').toBeLessThanOrEqual(maxPollRows);
    process.stdout.write(`[basytec kill ${name}] DataSets sent again after a kill: ${twice.length} (${runs.map((r) => `${r[0]}–${r[r.length - 1]}`).join(', ') || 'none'})\n`);
  }

  it(`a Resultfile: every DataSet 1..${ROWS} in Kafka, a kill re-sending at most the poll in flight`, async () => {
    const exportDir = join(dir, 'export-kill');
    mkdirSync(exportDir);
    await using growing = await startBasytecSimulator({
      rowsPerSecond: 10, maxRows: ROWS, test: { plan: DEFAULT_PLAN, cycles: Infinity, sample_s: 1 },
      resultfile: { dir: exportDir, fileName: 'cell_K.txt', format: { separator: 'space', dateTimeColumn: true, testName: 'cell_K', channel: '0101 CH07 SIM', start: nowStart() } },
    });
    await killTwice('kill-file', device('basytec-kill-file', exportDir), growing, 1000); // maxBatchRows default
  }, 240_000);

  for (const engine of ['postgres', 'mariadb'] as const) {
    it(`the ${engine === 'postgres' ? 'PostgreSQL' : 'MariaDB'} database (real server): every DataSet 1..${ROWS} in Kafka, a kill re-sending at most the poll in flight`, async () => {
      await using server = engine === 'postgres' ? await startPostgres() : await startMariadb();
      const admin = { host: server.host, port: server.port, user: server.user, password: server.password, readOnly: false };
      const connect = engine === 'postgres' ? connectPostgres : connectMariadb;
      const setup = await connect({ ...admin, database: engine === 'postgres' ? 'postgres' : 'mysql' });
      await setup.query('CREATE DATABASE basytec');
      await setup.close();
      const writer = await connect({ ...admin, database: 'basytec' });
      try {
        await using growing = await startBasytecSimulator({ rowsPerSecond: 10, maxRows: ROWS, test: { plan: DEFAULT_PLAN, cycles: Infinity, sample_s: 1 }, db: { sink: sqlDbSink(writer), testId: 4 } });
        const entry = {
          id: `basytec-kill-${engine}`, timeZone: 'UTC', pollIntervalMs: 500, cursorFile: join(dir, `kill-${engine}.cursors.json`),
          database: { engine, host: server.host, port: server.port, user: server.user, passwordEnv: 'BASYTEC_DB_PASSWORD', database: 'basytec', mapping: EXAMPLE_DB_MAPPING, batchRows: 200 },
        };
        await killTwice(`kill-${engine}`, entry, growing, 200, { BASYTEC_DB_PASSWORD: server.password }); // batchRows
      } finally {
        await writer.close();
      }
    }, 300_000);
  }
});
