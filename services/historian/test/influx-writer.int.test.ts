/**
 * The direct line-protocol writer against the run's real InfluxDB: plain and gzip bodies stored
 * and read back with Flux, every refusal named by its status (400 malformed, 401 bad token, 404
 * unknown bucket, 422 partial), a dead port and a server that never answers as network failures,
 * and sequential writes sharing one kept-alive connection.
 */
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { InfluxDB } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '@busbar/testkit/shared';
import type { InfluxBucket } from '@busbar/testkit/shared';
import { InfluxWriteError, InfluxWriter } from '../src/influx-writer.js';
import type { InfluxWriterOptions } from '../src/influx-writer.js';

let influx: InfluxBucket;
const writers: InfluxWriter[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  influx = await createBucket('historian-writer');
}, 180_000);

afterAll(() => {
  for (const w of writers) w.close();
  for (const s of servers) s.close();
});

const writerFor = (over: Partial<InfluxWriterOptions> = {}): InfluxWriter => {
  const w = new InfluxWriter({ url: influx.url, org: influx.org, bucket: influx.bucket, token: influx.token, timeoutMs: 5000, gzipLevel: 0, maxSockets: 4, ...over });
  writers.push(w);
  return w;
};

const query = async (flux: string): Promise<Record<string, unknown>[]> => new InfluxDB({ url: influx.url, token: influx.token }).getQueryApi(influx.org).collectRows(flux);

async function rejection(p: Promise<unknown>): Promise<InfluxWriteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InfluxWriteError);
  return err as InfluxWriteError;
}

describe('historian > InfluxDB writer', () => {
  it.each([0, 1, 6])('stores lines with escaped names and string values (gzip level %i)', async (level) => {
    const t = Date.UTC(2026, 5, 1, 0, 0, level);
    await writerFor({ gzipLevel: level }).write([`w\\ m,device=d\\,${level},place=a\\=b v=1.5,s="say \\"hi\\"" ${t}000000`, `w\\ m,device=d\\,${level},place=a\\=b v=2.5,s="two" ${t + 1}000000`]);
    const rows = await query(`from(bucket: "${influx.bucket}") |> range(start: 2026-06-01T00:00:00Z, stop: 2026-06-01T00:01:00Z) |> filter(fn: (r) => r._measurement == "w m" and r.device == "d,${level}") |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> keep(columns: ["place", "v", "s"])`);
    expect(rows.map((r) => [r.place, r.v, r.s])).toEqual([
      ['a=b', 1.5, 'say "hi"'],
      ['a=b', 2.5, 'two'],
    ]);
  });

  it('names each refusal by its status and InfluxDB\'s message', async () => {
    const malformed = await rejection(writerFor().write(['no fields here']));
    expect(malformed.statusCode).toBe(400);
    expect(malformed.code).toBe('BB_HISTORIAN_INFLUX_WRITE_FAILED');
    expect(malformed.retriable).toBe(false);
    expect((await rejection(writerFor({ token: 'wrong' }).write(['m v=1 1']))).statusCode).toBe(401);
    expect((await rejection(writerFor({ bucket: 'no-such-bucket-here' }).write(['m v=1 1']))).statusCode).toBe(404);
    // a field type conflict: InfluxDB stores the first line and refuses the second (422)
    const partial = await rejection(writerFor().write(['conflict v=1 1000', 'conflict v="text" 2000']));
    expect(partial.statusCode).toBe(422);
    expect(partial.message).toMatch(/type/);
  });

  it('a port nobody listens on and a server that never answers are network failures (retriable, no status)', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await rejection(writerFor({ url: `http://127.0.0.1:${deadPort}` }).write(['m v=1 1']));
    expect(refused.statusCode).toBeUndefined();
    expect(refused.retriable).toBe(true);

    const silent = createServer((s) => s.on('data', () => undefined));
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const timedOut = await rejection(writerFor({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 300 }).write(['m v=1 1']));
    expect(timedOut.statusCode).toBeUndefined();
    expect(timedOut.message).toMatch(/no answer within 300 ms/);
  });

  it('sequential writes reuse one kept-alive connection', async () => {
    // a TCP relay in front of InfluxDB counts the connections the writer opens
    let connections = 0;
    const relay = createServer((client: Socket) => {
      connections++;
      const upstream = new URL(influx.url);
      const server = connect(Number(upstream.port), upstream.hostname);
      client.pipe(server).pipe(client);
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
    });
    servers.push(relay);
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const w = writerFor({ url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}` });
    for (let i = 0; i < 5; i++) await w.write([`keepalive v=${i} ${Date.UTC(2026, 5, 2) + i}000000`]);
    expect(connections).toBe(1);
  });
});
