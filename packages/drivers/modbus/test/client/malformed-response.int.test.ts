/**
 * Malformed Modbus TCP answers (and a hang-up) from a raw TCP server (not modbus-serial's server, which cannot send
 * them): each must surface as `BB_MODBUS_RESPONSE_INVALID` with a message naming what was wrong,
 * outcome `unknown` after a write (the bytes left) and `not_sent` for the read step of a
 * read-modify-write. Frames: Modbus Messaging on TCP/IP Implementation Guide V1.0b §3.1.3 (MBAP:
 * transaction id, protocol id 0, length = unit id + PDU, unit id) and Modbus Application Protocol
 * V1.1b3 §6.3/§6.12 (FC 03 and FC 16 responses).
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusDeviceClient } from '../../src/client/modbus-client.js';
import { ModbusResponseError } from '../../src/errors.js';
import { POWER_SUPPLY_MAP } from '../../src/simulator/power-supply.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** Builds the answer PDU (unit id + PDU) to one request PDU; the server wraps it in an MBAP header. */
type Answer = (request: { unitId: number; pdu: Buffer }) => { unitId: number; pdu: Buffer } | 'hang-up';

/** A raw Modbus TCP server that answers every request with `answer` (same transaction id), or closes the connection. */
async function rawServer(answer: Answer): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 7 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const length = buf.readUInt16BE(4);
        const transactionId = buf.readUInt16BE(0);
        const reply = answer({ unitId: buf[6]!, pdu: buf.subarray(7, 6 + length) });
        buf = buf.subarray(6 + length);
        if (reply === 'hang-up') {
          socket.destroy();
          return;
        }
        const mbap = Buffer.alloc(7);
        mbap.writeUInt16BE(transactionId, 0);
        mbap.writeUInt16BE(0, 2);
        mbap.writeUInt16BE(reply.pdu.length + 1, 4);
        mbap[6] = reply.unitId;
        socket.write(Buffer.concat([mbap, reply.pdu]));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => { sockets.forEach((s) => s.destroy()); server.close(r); }));
  return (server.address() as AddressInfo).port;
}

function client(port: number): ModbusDeviceClient {
  const c = new ModbusDeviceClient({ connection: { kind: 'tcp', host: '127.0.0.1', port }, unitId: 1, timeoutMs: 500, map: POWER_SUPPLY_MAP });
  cleanups.push(() => c.close());
  return c;
}

async function caught(p: Promise<unknown>): Promise<ModbusResponseError> {
  try {
    await p;
  } catch (e) {
    return e as ModbusResponseError;
  }
  throw new Error('expected a rejection');
}

describe('Drivers > Modbus > client > malformed responses (raw TCP server)', () => {
  it('FC 03 answer with 2 registers where 6 were asked → BB_MODBUS_RESPONSE_INVALID naming the lengths', async () => {
    const port = await rawServer(({ unitId }) => ({ unitId, pdu: Buffer.from([0x03, 0x04, 0, 1, 0, 2]) }));
    const c = client(port);
    await c.connect();
    const err = await caught(c.readAll());
    expect(err).toBeInstanceOf(ModbusResponseError);
    expect(err).toMatchObject({ code: 'BB_MODBUS_RESPONSE_INVALID', retriable: true, outcome: 'unknown' });
    // 6 registers: function + byte count + 12 data bytes = 14-byte PDU; got 6
    expect(err.message).toBe('malformed response from unit 1 to function 3 at address 0: wrong length: expected 14-byte PDU, got 6 bytes');
    expect(err.context).toMatchObject({ functionCode: 3, address: 0, quantity: 6, unitId: 1, reason: 'Data length error, expected 17 got 9' });
    expect(c.connected).toBe(true);
  });

  it('answer from another unit id → BB_MODBUS_RESPONSE_INVALID naming both units', async () => {
    const port = await rawServer(() => ({ unitId: 7, pdu: Buffer.concat([Buffer.from([0x03, 12]), Buffer.alloc(12)]) }));
    const c = client(port);
    await c.connect();
    const err = await caught(c.readAll());
    expect(err).toMatchObject({ code: 'BB_MODBUS_RESPONSE_INVALID', outcome: 'unknown' });
    expect(err.message).toBe('malformed response from unit 1 to function 3 at address 0: answer from unit 7, expected unit 1');
  });

  it('FC 16 answered with another function code → outcome unknown, the message warns the write may have happened', async () => {
    // a well-formed FC 06 echo (address, value) where FC 16 (address, quantity) was asked
    const port = await rawServer(({ unitId, pdu }) => ({ unitId, pdu: Buffer.from([0x06, pdu[1]!, pdu[2]!, pdu[3]!, pdu[4]!]) }));
    const c = client(port);
    await c.connect();
    const err = await caught(c.write('voltage_setpoint_v', 12));
    expect(err).toMatchObject({ code: 'BB_MODBUS_RESPONSE_INVALID', outcome: 'unknown' });
    expect(err.message).toBe('malformed response from unit 1 to function 16 at address 0: function code 6 in the answer, expected 16 (the device may have executed the write)');
  });

  it('read step of a read-modify-write answered short → outcome not_sent (the write never left)', async () => {
    const functions: number[] = [];
    const port = await rawServer(({ unitId, pdu }) => {
      functions.push(pdu[0]!);
      return { unitId, pdu: Buffer.from([0x03]) };
    });
    const c = client(port);
    await c.connect();
    const err = await caught(c.write('remote_sense_enabled', true));
    expect(err).toMatchObject({ code: 'BB_MODBUS_RESPONSE_INVALID', outcome: 'not_sent' });
    expect(err.message).toMatch(/^malformed response from unit 1 to function 3 at address \d+: wrong length: expected 4-byte PDU, got 1 bytes$/);
    expect(functions).toEqual([3]);
  });

  it('connection closed by the device with a write in flight → BB_MODBUS_CONNECTION, outcome unknown', async () => {
    const port = await rawServer(() => 'hang-up');
    const c = client(port);
    await c.connect();
    const err = await caught(c.write('voltage_setpoint_v', 12));
    expect(err).toMatchObject({ code: 'BB_MODBUS_CONNECTION', retriable: true, outcome: 'unknown' });
    expect(err.message).toBe('connection to 127.0.0.1:' + String(port) + '/1 lost: socket closed (the request was sent: the device may have executed the write)');
  });
});
