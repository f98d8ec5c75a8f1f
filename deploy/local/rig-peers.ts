/**
 * The safety rig's peers, shared by `npm run demo` (deploy/local/plugins/safety-rig.ts) and the
 * end-to-end test (test/e2e/safety-rig-pipeline.int.test.ts), as child processes of the peers venv
 * (BUSBAR_PEERS_PYTHON, else <repo>/.venv/peers/bin/python, made by scripts/peers/setup-venv.sh):
 * - the BMS simulator written with python-can + cantools (packages/drivers/can/peers/bms_sim.py),
 *   publishing BMU PDOs on a socketcand bus; stdin `set N SIGNAL VALUE`, `stop N`, `start N`;
 * - the pymodbus 3.16 RTU server of the PCS map (packages/drivers/modbus/test/peers/pymodbus_rtu_pcs.py)
 *   on a pty end; one JSON document per line (`{"cmd": "written", "address": a}`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The peers' Python interpreter (BUSBAR_PEERS_PYTHON, else <repo>/.venv/peers/bin/python), `undefined` when it does not exist. */
export function peersPython(): string | undefined {
  const py = process.env.BUSBAR_PEERS_PYTHON ?? `${REPO}.venv/peers/bin/python`;
  return existsSync(py) ? py : undefined;
}

function python(): string {
  const py = peersPython();
  if (py === undefined) throw new Error(`peers Python not found at ${process.env.BUSBAR_PEERS_PYTHON ?? `${REPO}.venv/peers/bin/python`}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
  return py;
}

/** A child process speaking lines. */
class LinePeer {
  readonly stderr: string[] = [];
  private readonly waiters: Array<{ pred: (l: string) => boolean; resolve: (l: string) => void }> = [];
  readonly lines: string[] = [];
  private readonly exited: Promise<void>;

  constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    proc.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    createInterface({ input: proc.stdout }).on('line', (l) => {
      this.lines.push(l);
      const i = this.waiters.findIndex((w) => w.pred(l));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(l);
    });
    this.exited = new Promise((r) => proc.once('exit', () => r()));
  }

  /** The next line (from now) satisfying `pred`. */
  next(pred: (l: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: nothing in ${timeoutMs} ms; stderr: ${this.stderr.join('').slice(-2000)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void this.exited.then(() => reject(new Error(`${what}: the peer exited; stderr: ${this.stderr.join('').slice(-2000)}`)));
    });
  }

  write(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }

  async stop(): Promise<void> {
    this.proc.stdin.end();
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 3000))]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

/** The python-can BMS simulator. */
export interface BmsPeer {
  /** A stdin command: `set 2 Cell_5_Voltage 4.3`, `stop 1`, `start 1`. */
  command(line: string): void;
  stop(): Promise<void>;
}

/** Starts bms_sim.py on a socketcand server and waits for READY. */
export async function startBmsPeer(port: number, bmus: readonly number[], periodS: number): Promise<BmsPeer> {
  const script = `${REPO}packages/drivers/can/peers/bms_sim.py`;
  const peer = new LinePeer(spawn(python(), [script, '--port', String(port), '--bmus', bmus.join(','), '--period', String(periodS)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  await peer.next((l) => l === 'READY', 20_000, 'bms_sim READY');
  return { command: (l) => peer.write(l), stop: () => peer.stop() };
}

/** The pymodbus RTU PCS server. */
export interface PcsPeer {
  /** Every raw value FC 06 wrote to `address`, in order. */
  written(address: number): Promise<number[]>;
  stop(): Promise<void>;
}

/** Starts pymodbus_rtu_pcs.py on `port` (a pty end) with input registers given in engineering units. */
export async function startPcsPeer(port: string, input: ReadonlyArray<{ address: number; value: number; countsPer: number }>): Promise<PcsPeer> {
  const script = `${REPO}packages/drivers/modbus/test/peers/pymodbus_rtu_pcs.py`;
  const peer = new LinePeer(spawn(python(), [script], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const ready = peer.next((l) => l.includes('"ready"'), 20_000, 'pymodbus RTU ready');
  peer.write(JSON.stringify({ port, unit: 2, baudrate: 19200, input, holding: [{ address: 41025, raw: 1000 }] }));
  await ready;
  return {
    written: async (address) => {
      const answer = peer.next((l) => l.includes('"writes"'), 10_000, 'pymodbus written');
      peer.write(JSON.stringify({ cmd: 'written', address }));
      return (JSON.parse(await answer) as { writes: number[] }).writes;
    },
    stop: () => peer.stop(),
  };
}
