/**
 * Malformed Modbus RTU answers on a serial line — a pty pair from socat stands in for the cable (no
 * physical line on CI): the client opens one end as its port, the test answers on the other. A bad
 * CRC must surface as `BB_MODBUS_RESPONSE_INVALID` naming it; an answer from another unit is ignored
 * (multi-drop line) and times out. Frames: Modbus over Serial Line V1.02 §2.5 (address, PDU, CRC-16 low byte first, §6.2.2).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tty from 'node:tty';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusDeviceClient } from '../../src/client/modbus-client.js';

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), Modbus over Serial Line V1.02 §6.2.2 — a test-only builder. */
function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
function rtuFrame(body: number[], corruptCrc = false): Buffer {
  const crc = crc16(Uint8Array.from(body)) ^ (corruptCrc ? 0x0101 : 0);
  return Buffer.from([...body, crc & 0xff, crc >>> 8]);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A pty pair; `answer` builds the reply to each request the client writes on the line. */
async function serialLine(answer: (request: Buffer) => Buffer): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'busbar-rtu-'));
  const [client, device] = [join(dir, 'client'), join(dir, 'device')];
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${client}`, `pty,raw,echo=0,link=${device}`], { stdio: 'ignore' });
  socat.on('error', () => undefined); // ENOENT without socat: reported below
  cleanups.push(() => {
    socat.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 250 && !(existsSync(client) && existsSync(device)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(device)) throw new Error('socat did not create the pty pair (is socat installed? scripts/infra/apt/serial-line-tests.txt)');
  const fd = openSync(device, 'r+');
  const line = new tty.ReadStream(fd);
  line.setRawMode(true);
  line.on('data', (request: Buffer) => writeSync(fd, answer(request)));
  cleanups.push(() => {
    line.destroy();
    try {
      closeSync(fd);
    } catch {
      // closed by the stream
    }
  });
  return client;
}

async function readOneRegister(path: string): Promise<unknown> {
  const c = new ModbusDeviceClient({
    connection: { kind: 'rtu', path, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 },
    unitId: 1,
    timeoutMs: 1000,
    map: { points: [{ name: 'setpoint', type: 'holding', address: 0, dataType: 'uint16' }] },
    });
  cleanups.push(() => c.close());
  await c.connect();
  return c.readAll().then((r) => r.values, (e: unknown) => e);
}

describe('Drivers > Modbus > client > malformed RTU responses (socat pty pair)', () => {
  it('a well-formed answer reads (the harness works)', async () => {
    const path = await serialLine((req) => rtuFrame([req[0]!, 0x03, 0x02, 0x00, 0x07]));
    expect(await readOneRegister(path)).toEqual({ setpoint: 7 });
  });

  it('a bad CRC → BB_MODBUS_RESPONSE_INVALID "CRC mismatch"', async () => {
    const path = await serialLine((req) => rtuFrame([req[0]!, 0x03, 0x02, 0x00, 0x07], true));
    const err = await readOneRegister(path);
    expect(err).toMatchObject({ code: 'BB_MODBUS_RESPONSE_INVALID', outcome: 'unknown', context: { reason: 'CRC error' } });
    expect((err as Error).message).toBe('malformed response from unit 1 to function 3 at address 0: CRC mismatch');
  });

  it('an answer from unit 7 is another slave\'s on a multi-drop line: ignored, the request times out', async () => {
    // modbus-serial's buffered RTU port only cuts frames that start with the polled unit id
    const path = await serialLine(() => rtuFrame([7, 0x03, 0x02, 0x00, 0x07]));
    expect(await readOneRegister(path)).toMatchObject({ code: 'BB_MODBUS_TIMEOUT', outcome: 'unknown' });
  });
});
