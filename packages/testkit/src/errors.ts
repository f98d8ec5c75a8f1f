/**
 * Errors thrown by `@busbar/testkit`. Every message names what to do next (which script to run,
 * where the server log is) and carries the tail of the server log when a server failed to start.
 */
import { BusbarError } from '@busbar/core';
import type { BusbarErrorOptions, ErrorCatalogue } from '@busbar/core';

/** Codes raised by `@busbar/testkit`. */
export const ERROR_CODES = {
  BB_TESTKIT_MISSING_BINARY: {
    meaning: 'A server binary (influxd, Kafka jars) is not in the Busbar cache: run the script named in the message (scripts/infra/fetch-all.sh fetches everything).',
  },
  BB_TESTKIT_START_FAILED: {
    meaning: 'A test server exited during start-up, its storage format failed, or its onboarding was refused; the message holds the tail of its log.',
  },
  BB_TESTKIT_START_TIMEOUT: {
    meaning: 'A test server did not become ready within the start timeout; the message holds the tail of its log.',
  },
  BB_TESTKIT_NO_SHARED_SERVERS: {
    meaning: 'A test asked for a shared server (sharedKafka, sharedInflux, createBucket, smtpSink) but the run has no testkit global setup, or its control endpoint did not answer: run the test in the Vitest integration project (vitest.config.ts globalSetup) or start a private server.',
  },
  BB_TESTKIT_UNSUPPORTED: {
    meaning: 'The chosen backend (testcontainers) cannot do this operation, or its npm module is not installed.',
  },
} as const satisfies ErrorCatalogue;

/** One of the codes in {@link ERROR_CODES}. */
export type TestkitErrorCode = keyof typeof ERROR_CODES;

/** Thrown when a test server cannot be found, started, or driven. Never retriable. */
export class TestkitError extends BusbarError {
  /** Narrowed code: one of {@link ERROR_CODES}. */
  declare readonly code: TestkitErrorCode;

  /**
   * @param code - an entry of {@link ERROR_CODES}.
   * @param message - names the server, the path or script, and includes the log tail when there is one.
   * @param options - cause and context (`server`, `logFile`, `path`...).
   */
  constructor(code: TestkitErrorCode, message: string, options: BusbarErrorOptions = {}) {
    super(code, message, options);
  }
}
