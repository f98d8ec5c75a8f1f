/**
 * A pair of connected pseudo-terminals made by Debian `socat`, standing in for a serial cable in
 * tests and the demo: whatever is written to one end is read from the other.
 *
 *   socat -d -d pty,raw,echo=0,link=<dir>/a pty,raw,echo=0,link=<dir>/b
 *
 * (`scripts/infra/apt/rig.txt` installs socat.) The links appear within tens of milliseconds.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@busbar/core';
import { ArduinoError } from '../errors.js';

/** Two linked pty paths and how to remove them. */
export interface PtyPair {
  /** One end (give it to the simulator or peer). */
  readonly a: string;
  /** The other end (give it to the driver). */
  readonly b: string;
  /** Stops socat and removes the links. */
  close(): Promise<void>;
}

/**
 * Starts `socat` with two linked ptys.
 *
 * @param options - `readyTimeoutMs` (default 5000) to wait for both links.
 * @throws {ArduinoError} `BB_ARDUINO_CONNECTION` when socat is missing or the links do not appear in time.
 */
export async function openPtyPair(options: { readonly readyTimeoutMs?: number } = {}): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    proc.once('exit', () => {
      exited = true;
      resolve();
    });
    proc.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const close = async (): Promise<void> => {
    if (!exited) proc.kill('SIGTERM');
    await exit;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + (options.readyTimeoutMs ?? 5000);
  while (!(existsSync(a) && existsSync(b))) {
    if (exited || performance.now() > deadline) {
      await close();
      throw new ArduinoError('BB_ARDUINO_CONNECTION', `socat did not create a pty pair${exited ? ' (it exited; is Debian socat installed?)' : ' in time'}: ${stderr.trim()}`, { context: { dir } });
    }
    await sleep(10);
  }
  return { a, b, close };
}
