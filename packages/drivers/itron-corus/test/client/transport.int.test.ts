import { afterEach, describe, expect, it } from 'vitest';
import { CorusLink } from '../../src/client/link.js';
import { serialTransport, tcpTransport, type SerialLineEvent } from '../../src/client/transport.js';
import { openPtyPair, ScriptedDevice, stty, type PtyPair } from '../pty.js';
import { hex, toHex, vectors } from '../vectors/load.js';

describe('Client > transports', () => {
  it('serial: serialport is imported only on open(); a missing device → BB_CORUS_CONNECT_FAILED', async () => {
    const t = serialTransport({ path: '/dev/busbar-no-such-tty' })();
    expect(t.description).toBe('serial:///dev/busbar-no-such-tty');
    await expect(t.open()).rejects.toMatchObject({ code: expect.stringMatching(/^BB_CORUS_(CONNECT_FAILED|SERIAL_UNAVAILABLE)$/) });
    await t.close();
  });
  it('tcp: a refused connection → BB_CORUS_CONNECT_FAILED (retriable)', async () => {
    const t = tcpTransport({ host: '127.0.0.1', port: 1, connectTimeoutMs: 2000 })();
    await expect(t.open()).rejects.toMatchObject({ code: 'BB_CORUS_CONNECT_FAILED', retriable: true });
    await t.close();
  });
});

/**
 * Serial line over a pty pair (README §2.2): the bytes the client puts on the wire, checked by a
 * scripted device on the other end, and the settings it asks of the port (the transport's line
 * events and the kernel's own, read back with `stty`).
 */
describe('Client > serial transport on a pty pair (README §2.2)', () => {
  let pty: PtyPair | undefined;
  let device: ScriptedDevice | undefined;
  let link: CorusLink | undefined;
  afterEach(async () => {
    await link?.close();
    await device?.close();
    await pty?.close();
    link = device = pty = undefined;
  });

  /** Test-only 7E1 builder: each 7-bit character with its even-parity bit in bit 7. */
  const at7E1 = (text: string): Uint8Array =>
    Uint8Array.from(text, (c) => {
      const code = c.charCodeAt(0);
      return code.toString(2).replaceAll('0', '').length % 2 === 1 ? code | 0x80 : code;
    });
  const session = (vectors.session_example as { exchange: { direction: string; hex: string }[] }).exchange.map((s) => s.hex);
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  const timeouts = { wakeupMs: 2000, identificationMs: 2000, passwordMs: 2000, responseMs: 2000 };

  async function start(serial: { signOnBaudRate?: number; sessionBaudRate?: number } = {}): Promise<{ events: SerialLineEvent[]; opening: Promise<CorusLink> }> {
    pty = await openPtyPair();
    device = await ScriptedDevice.open(pty.device);
    const events: SerialLineEvent[] = [];
    // a pty reports output drained before socat read it: a pause that survives a loaded machine
    const transport = serialTransport({ path: pty.client, baudSwitchDelayMs: 100, ...serial, onLineEvent: (e) => events.push(e) })();
    const opening = CorusLink.open(transport, { wakeupBytes: 20, timeouts });
    opening.catch(() => undefined);
    return { events, opening };
  }

  it('signs on at 7E1 on an 8N1 port, echoes Z, then changes only the speed: never closed until the break', async () => {
    const { events, opening } = await start({ signOnBaudRate: 300 });
    const d = device as ScriptedDevice;
    const path = (pty as PtyPair).client;
    expect(toHex(await d.read(20))).toBe('00'.repeat(20)); // wake-up (0x00 has even parity)
    expect(stty(path)).toMatch(/speed 300 baud/);
    expect(stty(path)).not.toMatch(/cs7|(?<!-)parenb/); // 8N1: the parity travels in bit 7
    await d.write(hex(session[1] as string)); // 00 00 00
    expect(toHex(await d.read(5))).toBe(toHex(at7E1('/?!\r\n'))); // af 3f 21 8d 0a
    await d.write(at7E1('/ABC5CORUS\r\n'));
    expect(toHex(await d.read(6))).toBe(toHex(at7E1('\x06056\r\n'))); // ACK '0' '5' '6' CR LF, Z echoed
    await until(() => events.some((e) => e.kind === 'update'));
    expect(stty(path)).toMatch(/speed 9600 baud/); // Z '5' = 9600 baud
    await d.write(hex(session[5] as string)); // password message, 8-bit at the new speed
    expect(toHex(await d.read(6))).toBe(session[6]); // echoed unchanged (no parity bit added)
    await d.write(hex(session[7] as string)); // ACK
    link = await opening;
    expect(link.identification?.raw).toBe('/ABC5CORUS');
    // one request in session: the vectors' read of 0x5E, 48, 49
    const reading = link.readParameters([{ id: 94, class: 'CorusString' }, { id: 48, class: 'Index' }, { id: 49, class: 'Index' }]);
    expect(toHex(await d.read(hex(session[8] as string).length))).toBe(session[8]);
    await d.write(hex(session[9] as string));
    expect((await reading).map(String)).toEqual(['FL_b0040', '234567.982', '222222.982']);
    expect(events).toEqual([
      { kind: 'open', baudRate: 300, dataBits: 8, parity: 'none', stopBits: 1 },
      { kind: 'update', baudRate: 9600 },
    ]);
    await link.close();
    expect(toHex(await d.read(6))).toBe(session[12]); // break
    expect(events.at(-1)).toEqual({ kind: 'close' });
    expect(events.filter((e) => e.kind === 'open' || e.kind === 'close')).toHaveLength(2);
  });

  it('a fixed session speed overrides Z; a Z outside the table without one → BB_CORUS_BAUD_UNSUPPORTED', async () => {
    const { events, opening } = await start({ signOnBaudRate: 1200, sessionBaudRate: 4800 });
    const d = device as ScriptedDevice;
    await d.read(20);
    await d.write(hex('000000'));
    await d.read(5);
    await d.write(at7E1('/ABC7CORUS\r\n'));
    expect(toHex(await d.read(6))).toBe(toHex(at7E1('\x06076\r\n')));
    await until(() => events.some((e) => e.kind === 'update'));
    expect(stty((pty as PtyPair).client)).toMatch(/speed 4800 baud/);
    await d.write(hex(session[5] as string));
    await d.read(6);
    await d.write(hex('06'));
    link = await opening;
    await link.close();
    await device?.close();
    await pty?.close();

    const second = await start();
    const d2 = device as unknown as ScriptedDevice;
    await d2.read(20);
    await d2.write(hex('000000'));
    await d2.read(5);
    await d2.write(at7E1('/ABC7CORUS\r\n'));
    await expect(second.opening).rejects.toMatchObject({ code: 'BB_CORUS_BAUD_UNSUPPORTED', retriable: false });
    expect(second.events.map((e) => e.kind)).toEqual(['open', 'close']);
  });

  it('a sign-on character with the wrong parity → BB_CORUS_PARITY, the port closed', async () => {
    const { events, opening } = await start();
    const d = device as ScriptedDevice;
    await d.read(20);
    await d.write(hex('000000'));
    await d.read(5);
    const ident = at7E1('/ABC5CORUS\r\n');
    ident[2] = (ident[2] as number) ^ 0x80;
    await d.write(ident);
    await expect(opening).rejects.toMatchObject({ code: 'BB_CORUS_PARITY', context: { offset: 5 } });
    expect(events.at(-1)).toEqual({ kind: 'close' });
  });
});
