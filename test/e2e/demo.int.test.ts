/**
 * `npm run demo -- --once` as a user runs it: `deploy/local/demo.ts` in a child process starts the
 * real servers, the simulated devices (Modbus power supply, Arbin cycler, Maccor tester, Corus gas
 * volume converter, BaSyTec test system, and the battery safety rig when the Python peers are
 * installed) and every service as its own process from dist/, runs the scenario and stops. The test
 * asserts its exit code and that its output names what it found: one InfluxDB row per protocol, the
 * EXECUTED results of the commands and the simulators' new state, the exact Corus decimal next to
 * InfluxDB's float, the rig's interlock walking to the safe state on an over-temperature (or the
 * step's skip message without the peers), and every service exiting 0 on SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsAlone } from '@busbar/testkit/shared';
import { peersPython } from '../../deploy/local/rig-peers.js';

runsAlone('runs the whole demo: every server, simulator and service as processes of its own');

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The rig's BMS and PCS are Python peers (scripts/peers/setup-venv.sh): without them the demo skips its step. */
const withRig = peersPython() !== undefined;
const services = ['collector-modbus', 'collector-arbin', 'collector-maccor', 'collector-corus', 'collector-basytec', ...(withRig ? ['collector-safety-rig'] : []), 'historian', 'alerter', 'commander'];
const entries = services.map((s) => (s.startsWith('collector-') ? `services/collectors/${s.slice('collector-'.length)}/dist/main.js` : `services/${s}/dist/main.js`));
const runDir = mkdtempSync(join(tmpdir(), 'busbar-demo-test-'));

beforeAll(() => {
  // the demo runs the services from dist/ (npm run setup builds them); build what is missing
  if (entries.every((e) => existsSync(join(root, e)))) return;
  const filters = services.map((s) => `--filter=@busbar/${s}`);
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
  // bounded: SIGTERM (the demo stops its services and exits), SIGKILL if that does not end it
  const term = setTimeout(() => child.kill('SIGTERM'), 180_000);
  const kill = setTimeout(() => child.kill('SIGKILL'), 210_000);
  return new Promise((res) => child.once('exit', (code) => {
    clearTimeout(term);
    clearTimeout(kill);
    res({ code, output });
  }));
}

describe('e2e > demo --once', () => {
  it('runs the scenario against separate service processes and exits 0', async () => {
    const { code, output } = await runDemo();
    expect(output, output).toContain('demo scenario: all steps passed');
    expect(code, output).toBe(0);
    // (a) a reading row from InfluxDB
    expect(output).toMatch(/InfluxDB row: _time=\S+ _measurement=modbus:power-supply device=psu-1 _field=temperature_c _value=/);
    // (b) the alert mail and its saved copy
    expect(output).toMatch(/Mail subject: \[Busbar CRITICAL\] psu-1: temperature_c = 95/);
    expect(output).toMatch(/Mail subject: \[Busbar RESOLVED\] psu-1/);
    expect(readFileSync(join(runDir, 'mail/1.eml'), 'utf8')).toContain('Subject: [Busbar CRITICAL] psu-1');
    // (c) the command result
    expect(output).toMatch(/Result on busbar\.command-results\.v1: EXECUTED command_id=\S+ device=psu-1 action=modbus\.write/);
    expect(output).toContain('Simulator set-point now: voltage_setpoint_v = 24 V');
    // (d) Arbin: a channel row; the schedule started; MV_UD1 = 1.5 A (within 0..2 A) executed and the simulated current follows
    expect(output).toMatch(/InfluxDB row: _time=\S+ _measurement=cycler_channel device=arbin-1 channel=0001 _field=voltage_v _value=\d/);
    expect(output).toMatch(/EXECUTED command_id=\S+ device=arbin-1 channel=1 action=arbin\.start .* vendor_name=CTI_START_SUCCESS/);
    expect(output).toMatch(/EXECUTED command_id=\S+ device=arbin-1 channel=1 action=arbin\.set_meta_variable .* vendor_name=CTI_SET_MV_SUCCESS/);
    expect(output).toContain('Simulator channel 1 current now: current_a = 1.5 A');
    // (e) Maccor: a channel row; VAR1 of channel 3 set and held by the simulator
    expect(output).toMatch(/InfluxDB row: _time=\S+ _measurement=cycler_channel device=maccor-1 channel=0001 _field=voltage_v _value=\d/);
    expect(output).toMatch(/EXECUTED command_id=\S+ device=maccor-1 channel=3 action=maccor\.set_variable .* var_num=1 value=0\.5/);
    expect(output).toContain('Simulator channel 3 now: VAR1 = 0.5');
    // (f) Corus: a row (no channel tag), the exact decimal as published and the float InfluxDB stores; a parameter write
    const corusRow = /InfluxDB row: _time=\S+ _measurement=meter_poll device=corus-1 _field=volume_converted_m3 _value=(\S+)/.exec(output);
    expect(corusRow, output).not.toBeNull();
    const exact = /Exact value on busbar\.readings\.v1: corus-1 volume_converted_m3 = (\d+\.\d+) \(exact_values, decimal text\); InfluxDB float: (\S+) \(binary64 \S+\)/.exec(output);
    expect(exact, output).not.toBeNull();
    expect(Number(exact![2])).toBe(Number(exact![1]));
    expect(Number(corusRow![1])).toBe(Number(exact![1]));
    expect(output).toMatch(/EXECUTED command_id=\S+ device=corus-1 action=corus\.write_parameters .* answer=ACK .* written=display_contrast/);
    expect(output).toMatch(/Simulator parameter now: display_contrast = [79]\n/);
    // (h) BaSyTec: a channel row from the growing Resultfile; a plan started and stopped over RCI
    expect(output).toMatch(/InfluxDB row: _time=\S+ _measurement=cycler_channel device=basytec-1 channel=0003 _field=voltage_v _value=\d/);
    expect(output).toMatch(/EXECUTED command_id=\S+ device=basytec-1 channel=2 action=basytec\.start_test .*rci_reply=OK START 2/);
    expect(output).toMatch(/EXECUTED command_id=\S+ device=basytec-1 channel=2 action=basytec\.stop_test .*rci_reply=OK STOP 2/);
    expect(output).toContain('RCI lines received: START 2 capacity.pln | STOP 2');
    // (i) the safety rig: BMU, PCS and Arduino rows; the over-temperature walks the interlock to safe; PCS off, relays open; the latch holds; reset refused, then executed
    if (withRig) {
      for (const [source, field] of [['bmu', 'max_temperature_c'], ['pcs', 'battery_voltage_v'], ['arduino', 'temperature_1_c']]) {
        expect(output).toMatch(new RegExp(`InfluxDB row: _time=\\S+ _measurement=rig:${source} device=rig-1 (channel=\\d+ )?_field=${field} _value=-?\\d`));
      }
      const rig = output.slice(output.indexOf('== (i) battery safety rig'));
      const walk = [...rig.matchAll(/Event on busbar\.device-events\.v1: interlock (\w+) → (\w+): (.*)/g)];
      expect(walk.map((m) => `${m[1]}→${m[2]}`), output).toEqual(['normal→warning', 'warning→dangerous', 'dangerous→safe', 'safe→normal']);
      expect(walk[0]![3]).toMatch(/rule=module_temperature_high input=bmu:1 quantity=max_temperature_c value=40 limit=30 level=warning/);
      expect(walk[1]![3]).toMatch(/rule=module_temperature_high input=bmu:1 quantity=max_temperature_c value=60 limit=50 level=dangerous/);
      expect(rig).toMatch(/PCS \(pymodbus RTU\) op mode register 41026 written: (\d+, )*0\b/);
      expect(rig).toMatch(/Arduino relays: relay1\(pin 5\)=closed relay2\(pin 3\)=closed relay3\(pin 4\)=closed\n[\s\S]*Arduino relays: relay1\(pin 5\)=open relay2\(pin 3\)=open relay3\(pin 4\)=open/);
      expect(rig).toMatch(/REJECTED command_id=\S+ device=rig-1 action=rig\.reset_latch reason_code=BB_RIG_RESET_REFUSED reason=.*module_temperature_high/);
      expect(rig).toMatch(/latch holds: BMU 1 max_temperature_c = 25, interlock state on the next PCS reading = safe/);
      expect(rig).toMatch(/EXECUTED command_id=\S+ device=rig-1 action=rig\.reset_latch /);
    } else {
      expect(output).toContain('(i) safety rig: skipped: the Python peers are not installed');
    }
    // four protocols, four EXECUTED commands (plus the Arbin start)
    for (const action of ['modbus.write', 'arbin.set_meta_variable', 'maccor.set_variable', 'corus.write_parameters']) {
      expect(output).toMatch(new RegExp(`Result on busbar\\.command-results\\.v1: EXECUTED command_id=\\S+ device=\\S+ (channel=\\d+ )?action=${action.replace('.', '\\.')} `));
    }
    // the Arbin credentials reach collector-arbin through its own environment, not its configuration file
    expect(readFileSync(join(runDir, 'config', 'collector-arbin.yaml'), 'utf8')).not.toMatch(/ARBIN_CTI|password/i);
    // (g) services stopped cleanly on SIGTERM, in reverse start order
    expect(output).toContain(`stopped: ${[...services].reverse().map((n) => `${n} exit 0`).join(', ')}`);
    for (const name of services) {
      expect(output).toMatch(new RegExp(`${name}\\s+pid \\d+\\s+healthz ok`));
      expect(existsSync(join(runDir, 'config', `${name}.yaml`))).toBe(true);
      expect(readFileSync(join(runDir, 'logs', `${name}.log`), 'utf8')).toContain(`"msg":"${name} stopped"`);
    }
    for (const device of ['psu-1', 'arbin-1', 'maccor-1', 'corus-1', 'basytec-1', ...(withRig ? ['rig-1'] : [])]) expect(output).toMatch(new RegExp(`^device ${device} `, 'm'));
    // how to load the Grafana dashboards onto this InfluxDB (deploy/grafana)
    expect(output).toMatch(/BUSBAR_INFLUX_URL=http:\/\/127\.0\.0\.1:\d+ BUSBAR_INFLUX_ORG=\S+ BUSBAR_INFLUX_BUCKET=\S+ BUSBAR_INFLUX_TOKEN=\S+/);
  }, 240_000);
});
