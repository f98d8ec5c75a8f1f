import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { describe, expect, it } from 'vitest';
import { openPtyPair } from '../../src/simulator/pty-pair.js';

const open = async (path: string): Promise<SerialPort> => {
  const p = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => p.open((e) => (e ? reject(e) : resolve())));
  return p;
};
const close = (p: SerialPort): Promise<void> => new Promise((r) => p.close(() => r()));

describe('openPtyPair (socat)', () => {
  it('links two ptys both ways, and removes the links on close', async () => {
    const pty = await openPtyPair();
    const a = await open(pty.a);
    const b = await open(pty.b);
    const atB = new Promise<string>((r) => b.once('data', (d: Buffer) => r(d.toString())));
    a.write('ping');
    expect(await atB).toBe('ping');
    const atA = new Promise<string>((r) => a.once('data', (d: Buffer) => r(d.toString())));
    b.write('pong');
    expect(await atA).toBe('pong');
    await close(a);
    await close(b);
    await pty.close();
    expect(existsSync(pty.a) || existsSync(pty.b)).toBe(false);
  });
});
