/** Test helpers: a raw TCP peer that sends bytes and collects exactly the expected answer length. */
import { Socket } from 'node:net';
import type { CorusMapInput } from '../src/config/map.js';
import { INTERVAL_LAYOUT_52 } from '../src/config/example-map.js';

/** A raw client socket with a byte buffer. */
export class RawPeer {
  private readonly socket = new Socket();
  private buf: number[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  /** Connects to host:port. */
  static async connect(host: string, port: number): Promise<RawPeer> {
    const p = new RawPeer();
    await new Promise<void>((resolve, reject) => {
      p.socket.once('error', reject);
      p.socket.connect(port, host, () => resolve());
    });
    p.socket.on('data', (c) => {
      p.buf.push(...c);
      p.waiter?.();
    });
    p.socket.on('close', () => {
      p.closed = true;
      p.waiter?.();
    });
    return p;
  }

  /** Writes bytes. */
  send(b: Uint8Array): void {
    this.socket.write(b);
  }

  /** Reads exactly n bytes (or fewer if the socket closes / times out). */
  async read(n: number, timeoutMs = 2000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n && !this.closed && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, deadline - Date.now());
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    return Uint8Array.from(this.buf.splice(0, n));
  }

  /** Closes the socket. */
  close(): void {
    this.socket.destroy();
  }
}

/** A map with the ids of the vectors' session example (README §5 examples, §7.3). */
export const VECTOR_MAP: CorusMapInput = {
  mapId: 'b0040',
  parameters: [
    { name: 'pulse_weight_m3', id: 1, class: 'Float', unit: 'm3', writable: true, role: 'pulse_weight' },
    { name: 'compressibility_formula', id: 15, class: 'Byte', writable: true, min: '0', max: '7' },
    { name: 'volume_unconverted_m3', id: 48, class: 'Index', unit: 'm3' },
    { name: 'volume_converted_m3', id: 49, class: 'Index', unit: 'm3' },
    { name: 'parameter_map', id: 94, class: 'CorusString', role: 'map_name' },
    { name: 'clock', id: 106, class: 'Date', writable: true, role: 'clock' },
    { name: 'display_contrast', id: 300, class: 'Byte', writable: true, min: '0', max: '15' },
  ],
  logs: { interval: { databaseId: 0, intervalS: 900, layouts: [{ recordLength: 52, fields: INTERVAL_LAYOUT_52.map((f) => ({ ...f })) }] } },
};
