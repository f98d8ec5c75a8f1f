/** Error codes raised by the historian. */
import type { ErrorCatalogue } from '@busbar/core';

/** Codes raised by the historian (docs/errors.md). */
export const ERROR_CODES = {
  BB_HISTORIAN_ABANDONED: { meaning: 'The historian stopped, or lost its partition in a rebalance, before InfluxDB acknowledged a batch: the batch is not committed and will be replayed.' },
  BB_HISTORIAN_INFLUX_UNAUTHORIZED: { meaning: 'InfluxDB refuses the historian\'s token (401/403), at start or on a write: the historian is not ready (/readyz 503) and keeps its readings in Kafka until the token is fixed.' },
  BB_HISTORIAN_INFLUX_NOT_FOUND: { meaning: 'InfluxDB does not know the configured org or bucket (404), at start or on a write: the historian is not ready (/readyz 503) and keeps its readings in Kafka until the bucket exists.' },
  BB_HISTORIAN_INFLUX_UNREACHABLE: { meaning: 'InfluxDB does not answer (or answers 5xx): the historian is not ready (/readyz 503) and retries; readings wait in Kafka.' },
  BB_HISTORIAN_INFLUX_WRITE_FAILED: { meaning: 'One InfluxDB write was not acknowledged (context `statusCode`: its HTTP answer, or `network` for no answer within `influx.timeoutMs`): 400/413 split and isolated, 422 counted as a partial write, anything else retried with backoff; nothing is committed before InfluxDB acknowledged.' },
} as const satisfies ErrorCatalogue;
