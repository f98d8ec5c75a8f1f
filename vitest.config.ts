import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { RunsAloneFirstSequencer } from './packages/testkit/src/shared/sequencer.js';

/**
 * Three projects:
 * - `unit`: pure tests (`*.test.ts`), no servers, no peers;
 * - `integration`: `*.int.test.ts`, against real Kafka, InfluxDB and SMTP and against peer
 *   implementations (pymodbus...). Kafka, InfluxDB and SMTP are started once per run, on first
 *   use, by the testkit global setup; suites reach them with `@busbar/testkit/shared`
 *   (`sharedKafka()`, `createBucket()`, `smtpSink()`), each under names of its own. Suites that
 *   stop, restart or kill a server start a private one with `startKafka()`/`startInflux()`.
 *   Two files run at a time; a file that calls `runsAlone(reason)` runs while no other does;
 * - `faults`: `test/faults/*.int.test.ts` (`npm run test:faults`, run by CI after `npm test`), the
 *   integration set-up plus service processes killed and restarted; prints the fault table at the end.
 * Workspace packages resolve to their TypeScript sources through the `@busbar/source` export condition.
 */
const conditions = ['@busbar/source', 'node', 'default'];
const exclude = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@busbar/source'] } },
  test: {
    // the integration files that run alone first: they then wait for no other file (packages/testkit/src/shared/sequencer.ts)
    sequence: { sequencer: RunsAloneFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/**/test/**/*.test.ts', 'services/**/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts'],
          // at least two workers: Vitest's default (cores − 1) is one on the 2-core CI machine
          maxWorkers: Math.max(2, availableParallelism() - 1),
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/**/test/**/*.int.test.ts', 'services/**/test/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          exclude: [...exclude, 'test/faults/**'],
          globalSetup: ['packages/testkit/src/global-setup.ts'],
          // two files at a time (most wait on servers, sleeps and group joins rather than on the CPU), each
          // holding the run's file lock shared; a file that calls runsAlone() holds it exclusive (file-lock-setup.ts)
          setupFiles: ['packages/testkit/src/shared/file-lock-setup.ts'],
          maxWorkers: 2,
          // a group of its own (one worker count per group), after the unit tests
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        // `npm run test:faults`: kill -9, outages and garbage against real servers and service processes (test/faults/README.md)
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.int.test.ts'],
          exclude,
          globalSetup: ['packages/testkit/src/global-setup.ts', 'test/faults/support/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
