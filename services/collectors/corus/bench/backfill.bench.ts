/**
 * Log backfill throughput through the collector into Kafka, on the real servers (Kafka from
 * @busbar/testkit, loopback):
 *
 *   Corus simulator (N interval records) → CorusSession (one database request per window) →
 *   the Corus module's backfill job → Avro Readings → store-and-forward buffer → Kafka (acks=all,
 *   idempotent producer) → acknowledgement → cursor file
 *
 * For each window size, a fresh collector (empty state directory) backfills the whole log; the
 * clock stops when the cursor file — written only after Kafka acknowledged a window — names the
 * newest record. Prints records, seconds, records/s and requests. The simulator runs in the same
 * process (same CPU); a real Corus over a modem is far slower (its baud rate bounds the rate).
 *
 *   npm run bench -w services/collectors/corus [-- --records 20000 --chunks 21600,86400,604800]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { noopLogger, noopMetrics } from '@busbar/core';
import { EXAMPLE_CORUS_MAP, startCorusSimulator } from '@busbar/driver-itron-corus';
import { startKafka } from '@busbar/testkit';
import { collectorConfigSchema, resolveCollectorConfig, startCorusCollector } from '../src/index.js';

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '20000' }, chunks: { type: 'string', default: '21600,86400,604800' } } });
const records = Number(args.records);
const chunks = args.chunks.split(',').map(Number);

const kafkaServer = await startKafka();
try {
  const sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, historyRecords: records, seed: 2 });
  const newestMs = Date.parse(`${sim.logRecords('interval')[0]!.endDate}Z`);
  const kafka = new Kafka({ clientId: 'bench', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  console.log(`corus log backfill → Kafka: ${records} interval records (52 bytes each), simulator ${sim.host}:${sim.port}, Kafka ${kafkaServer.brokers.join(',')}`);
  for (const chunkS of chunks) {
    const run = `bench-${chunkS}-${Date.now()}`;
    const topics = { readings: `${run}.readings`, deviceEvents: `${run}.events`, commands: `${run}.commands`, deviceCommands: `${run}.device-commands`, commandResults: `${run}.results`, alerts: `${run}.alerts`, deadLetter: `${run}.dead-letter` };
    await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 6 })), waitForLeaders: true });
    const stateDir = mkdtempSync(join(tmpdir(), 'corus-bench-'));
    const cfg = resolveCollectorConfig(collectorConfigSchema.parse({
      kafka: { brokers: kafkaServer.brokers }, topics, instanceId: run, stateDir,
      devices: [{ id: 'corus-bench', connection: { kind: 'tcp', host: sim.host, port: sim.port }, map: EXAMPLE_CORUS_MAP, pollIntervalMs: 60_000, logChunkS: chunkS, logs: { lookbackS: records * 900, intervalMs: 60_000, rescanS: 0 } }],
    }), '.');
    const before = sim.stats.databaseRequests;
    const t0 = performance.now();
    const collector = await startCorusCollector(cfg, { logger: noopLogger, metrics: noopMetrics });
    for (;;) {
      try {
        const c = JSON.parse(readFileSync(join(stateDir, 'corus-bench.json'), 'utf8')) as { logs: { interval: { lastRecordMs: number } } };
        if (c.logs.interval.lastRecordMs >= newestMs) break;
      } catch {
        // not written yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const s = (performance.now() - t0) / 1000;
    const requests = sim.stats.databaseRequests - before;
    await collector.stop();
    console.log(`  window ${String(chunkS).padStart(6)} s (${chunkS / 900} records/request): ${records} records in ${s.toFixed(2)} s = ${Math.round(records / s)} records/s, ${requests} database requests`);
  }
  await admin.disconnect();
  await sim.close();
} finally {
  await kafkaServer.stop();
}
