/**
 * Test/bench helper: the pymodbus 3.16 RTU server of test/peers/pymodbus_rtu_pcs.py as a child
 * process, spoken to with one JSON document per line (see the script's docstring).
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const PYTHON = process.env.BUSBAR_PEERS_PYTHON ?? `${REPO}.venv/peers/bin/python`;
const SCRIPT = fileURLToPath(new URL('../peers/pymodbus_rtu_pcs.py', import.meta.url));

export class PymodbusRtuPeer {
  private readonly pending: ((line: string) => void)[] = [];
  readonly stderr: string[] = [];
  private readonly lines: Interface;
  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    proc.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.lines = createInterface({ input: proc.stdout });
    this.lines.on('line', (l) => this.pending.shift()?.(l));
  }
  static async start(load: object): Promise<PymodbusRtuPeer> {
    if (!existsSync(PYTHON)) throw new Error(`Python peer interpreter not found at ${PYTHON}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
    const peer = new PymodbusRtuPeer(spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] }));
    peer.proc.stdin.write(`${JSON.stringify(load)}\n`);
    const exited = new Promise<never>((_, reject) => peer.proc.once('exit', (code) => reject(new Error(`pymodbus peer exited (${code}): ${peer.stderr.join('')}`))));
    exited.catch(() => undefined);
    await Promise.race([peer.nextLine(), exited, timeout(20_000, 'pymodbus RTU peer did not start')]);
    return peer;
  }
  private nextLine(): Promise<string> {
    return new Promise((resolve) => this.pending.push(resolve));
  }
  async ask<T>(cmd: object): Promise<T> {
    this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
    return JSON.parse(await Promise.race([this.nextLine(), timeout(10_000, 'pymodbus peer did not answer')])) as T;
  }
  async stop(): Promise<void> {
    this.proc.stdin.end();
    const done = new Promise((r) => this.proc.once('exit', r));
    await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    this.lines.close();
  }
}
function timeout(ms: number, msg: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(msg)), ms).unref());
}

