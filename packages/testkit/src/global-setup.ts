/**
 * Vitest global setup of the integration project (`globalSetup` in vitest.config.ts): starts the
 * shared-server control endpoint, `provide`s its address as `busbarTestkit` (read with the helpers
 * of `@busbar/testkit/shared`), and at teardown stops the Kafka, InfluxDB and SMTP servers the run
 * started — each at most once, and only when some test asked for it — and prints how many.
 */
import type { TestProject } from 'vitest/node';
import { startSharedServers } from './shared/server.js';

/**
 * @param project - the Vitest project being set up.
 * @returns the teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = await startSharedServers();
  project.provide('busbarTestkit', shared.info);
  return async () => {
    const s = shared.starts();
    await shared.stop();
    console.log(`[testkit] shared servers started in this run: kafka ${s.kafka}, influx ${s.influx}, smtp ${s.smtp}`);
  };
}
