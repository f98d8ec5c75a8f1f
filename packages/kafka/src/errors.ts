/** Error codes raised by `@busbar/kafka`. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by `@busbar/kafka` (documented in docs/errors.md). */
export const ERROR_CODES = {
  BB_KAFKA_UNDECODABLE: { meaning: 'A consumed message failed to decode with an error that carries no Busbar code; it went to the dead-letter topic.' },
} as const satisfies ErrorCatalogue;
