import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflux } from '../src/index.js';
import type { InfluxHandle } from '../src/index.js';

describe('Testkit > InfluxDB', () => {
  let influx: InfluxHandle;
  beforeAll(async () => {
    influx = await startInflux({ org: 'lab', bucket: 'readings' });
  });
  afterAll(async () => {
    await influx?.dispose();
  });

  const readBack = async (): Promise<{ device: string; _value: number }[]> => {
    const query = new InfluxDB({ url: influx.url, token: influx.token }).getQueryApi(influx.org);
    return query.collectRows(`from(bucket: "${influx.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "cell" and r._field == "voltage")`);
  };

  it('is onboarded: url on 127.0.0.1, org and bucket ids, a token', () => {
    expect(influx.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(influx.org).toBe('lab');
    expect(influx.bucket).toBe('readings');
    expect(influx.orgId).toMatch(/^[0-9a-f]{16}$/);
    expect(influx.bucketId).toMatch(/^[0-9a-f]{16}$/);
    expect(influx.token.length).toBeGreaterThanOrEqual(32);
  });

  it('writes points and queries them back with Flux, also after stop() and start() on the same URL', async () => {
    const write = new InfluxDB({ url: influx.url, token: influx.token }).getWriteApi(influx.org, influx.bucket, 'ms');
    write.writePoint(new Point('cell').tag('device', 'arbin-1').floatField('voltage', 3.712).timestamp(new Date()));
    write.writePoint(new Point('cell').tag('device', 'arbin-2').floatField('voltage', 4.2).timestamp(new Date()));
    await write.close();

    const rows = await readBack();
    expect(rows.map((r) => [r.device, r._value]).sort()).toEqual([['arbin-1', 3.712], ['arbin-2', 4.2]]);

    const url = influx.url;
    await influx.stop();
    expect(influx.running()).toBe(false);
    await expect(fetch(`${url}/health`)).rejects.toThrow();

    await influx.start();
    expect(influx.url).toBe(url);
    const after = await readBack();
    expect(after.map((r) => [r.device, r._value]).sort()).toEqual([['arbin-1', 3.712], ['arbin-2', 4.2]]);
  });

  it('refuses a wrong token', async () => {
    const query = new InfluxDB({ url: influx.url, token: 'not-the-token' }).getQueryApi(influx.org);
    await expect(query.collectRows(`buckets()`)).rejects.toThrow(/unauthorized/i);
  });
});
