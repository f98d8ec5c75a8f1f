/**
 * Test-only serial line: two linked pseudo-terminals made by Debian `socat` (installed by
 * `scripts/infra/apt/corus-serial.txt`), and a scripted device on one end that reads exact byte
 * counts and writes raw bytes (8N1, no parity applied: the test writes the wire bytes itself).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';

/** Two linked pty paths; `close` stops socat and removes them. */
export interface PtyPair {
  readonly client: string;
  readonly device: string;
  close(): Promise<void>;
}

/** Starts `socat -d -d pty,raw,echo=0,link=… pty,raw,echo=0,link=…`; throws when socat is missing. */
export async function openPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-corus-pty-'));
  const client = join(dir, 'client');
  const device = join(dir, 'device');
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${client}`, `pty,raw,echo=0,link=${device}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    proc.once('exit', () => ((exited = true), resolve()));
    proc.once('error', () => ((exited = true), resolve()));
  });
  const close = async (): Promise<void> => {
    if (!exited) proc.kill('SIGTERM');
    await exit;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; !(existsSync(client) && existsSync(device)); i++) {
    if (exited || i > 500) {
      await close();
      throw new Error(`socat did not create a pty pair (is Debian socat installed?): ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { client, device, close };
}

/** The kernel's line settings of a tty (`stty -F path`), e.g. `speed 9600 baud; …`. */
export function stty(path: string): string {
  return execFileSync('stty', ['-F', path]).toString();
}

/** A scripted device on one pty end. */
export class ScriptedDevice {
  private buf: number[] = [];
  private waiter: (() => void) | undefined;
  /** Every byte received, in order. */
  readonly received: number[] = [];

  private constructor(private readonly port: SerialPort) {
    port.on('data', (b: Buffer) => {
      this.buf.push(...b);
      this.received.push(...b);
      this.waiter?.();
    });
  }

  /** Opens the device end at 8N1. */
  static async open(path: string): Promise<ScriptedDevice> {
    const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new ScriptedDevice(port);
  }

  /** Reads exactly n bytes; throws after `timeoutMs`. */
  async read(n: number, timeoutMs = 3000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`device: ${this.buf.length} of ${n} bytes within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiter = () => (clearTimeout(t), r());
      });
    }
    return Uint8Array.from(this.buf.splice(0, n));
  }

  /** Writes raw bytes. */
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.port.write(bytes, (e) => (e ? reject(e) : this.port.drain(() => resolve()))));
  }

  /** Closes the device end. */
  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}
