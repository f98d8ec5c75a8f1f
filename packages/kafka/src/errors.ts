/** Error codes raised by `@busbar/kafka`. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by `@busbar/kafka` (documented in docs/errors.md). */
export const ERROR_CODES = {
  BB_KAFKA_REPLAY_INCOMPLETE: { meaning: 'Reading a topic back at start (answered command ids) did not reach its end in time; the service refuses to start rather than run with partial state.' },
  BB_KAFKA_CONSUMER_STOPPED: { meaning: 'A handler asked to commit its progress after its consumer stopped; nothing was committed and the batch is replayed by the next owner.' },
  BB_KAFKA_UNDECODABLE: { meaning: 'A consumed message failed to decode with an error that carries no Busbar code; it went to the dead-letter topic.' },
} as const satisfies ErrorCatalogue;
