/**
 * `npm run demo -- --once` as a user runs it: `deploy/local/demo.ts` in a child process starts the
 * real servers, the simulator and every service as its own process from dist/, runs the scenario
 * and stops. The test asserts its exit code and that its output names what it found.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const entries = ['services/collectors/modbus/dist/main.js', 'services/historian/dist/main.js', 'services/alerter/dist/main.js', 'services/commander/dist/main.js'];
const runDir = mkdtempSync(join(tmpdir(), 'busbar-demo-test-'));

beforeAll(() => {
  // the demo runs the services from dist/ (npm run setup builds them); build what is missing
  if (entries.every((e) => existsSync(join(root, e)))) return;
  const filters = ['@busbar/collector-modbus', '@busbar/historian', '@busbar/alerter', '@busbar/commander'].map((f) => `--filter=${f}`);
  const r = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only', ...filters], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`turbo build failed:\n${r.stdout}\n${r.stderr}`);
}, 180_000);

afterAll(() => rmSync(runDir, { recursive: true, force: true }));

function runDemo(): Promise<{ code: number | null; output: string }> {
  const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
  const child = spawn(process.execPath, [tsx, '--conditions=@busbar/source', 'deploy/local/demo.ts', '--once', '--run-dir', runDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), 200_000);
  return new Promise((res) => child.once('exit', (code) => {
    clearTimeout(timer);
    res({ code, output });
  }));
}

describe('e2e > demo --once', () => {
  it('runs the scenario against separate service processes and exits 0', async () => {
    const { code, output } = await runDemo();
    expect(output, output).toContain('demo scenario: all steps passed');
    expect(code, output).toBe(0);
    // (a) a reading row from InfluxDB
    expect(output).toMatch(/InfluxDB row: _time=\S+ _measurement=modbus device=psu-1 _field=temperature_c _value=/);
    // (b) the alert mail and its saved copy
    expect(output).toMatch(/Mail subject: \[Busbar CRITICAL\] psu-1: temperature_c = 95/);
    expect(output).toMatch(/Mail subject: \[Busbar RESOLVED\] psu-1/);
    expect(readFileSync(join(runDir, 'mail/1.eml'), 'utf8')).toContain('Subject: [Busbar CRITICAL] psu-1');
    // (c) the command result
    expect(output).toMatch(/Result on busbar\.command-results\.v1: EXECUTED command_id=\S+ device=psu-1 action=modbus\.write/);
    expect(output).toContain('Simulator set-point now: voltage_setpoint_v = 24 V');
    // (d) services stopped cleanly on SIGTERM
    expect(output).toContain('stopped: commander exit 0, alerter exit 0, historian exit 0, collector-modbus exit 0');
    for (const name of ['collector-modbus', 'historian', 'alerter', 'commander']) {
      expect(output).toMatch(new RegExp(`${name}\\s+pid \\d+\\s+healthz ok`));
      expect(existsSync(join(runDir, 'config', `${name}.yaml`))).toBe(true);
      expect(readFileSync(join(runDir, 'logs', `${name}.log`), 'utf8')).toContain(`"msg":"${name} stopped"`);
    }
  }, 240_000);
});
