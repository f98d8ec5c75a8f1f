/**
 * The `kafka` and `topics` sections every service's configuration shares (zod schemas, so the
 * service validates them with the rest of its file; see `@busbar/runtime` `loadConfig`).
 */
import { z } from 'zod';

/** `kafka:` — connection to the cluster. */
export const kafkaConfigSchema = z.object({
  /** Bootstrap brokers, `host:port`. */
  brokers: z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port')).min(1, 'at least one broker'),
  /** Client id (default: the service name, set by the service). */
  clientId: z.string().min(1).optional(),
});

/** Default topic names (schemas/README.md, "Topics"). */
export const DEFAULT_TOPICS = {
  readings: 'busbar.readings.v1',
  deviceEvents: 'busbar.device-events.v1',
  commands: 'busbar.commands.v1',
  deviceCommands: 'busbar.device-commands.v1',
  commandResults: 'busbar.command-results.v1',
  alerts: 'busbar.alerts.v1',
  deadLetter: 'busbar.dead-letter.v1',
} as const;

/** `topics:` — names of the topics, each defaulted to {@link DEFAULT_TOPICS}. */
export const topicsConfigSchema = z
  .object({
    readings: z.string().min(1).default(DEFAULT_TOPICS.readings),
    deviceEvents: z.string().min(1).default(DEFAULT_TOPICS.deviceEvents),
    commands: z.string().min(1).default(DEFAULT_TOPICS.commands),
    deviceCommands: z.string().min(1).default(DEFAULT_TOPICS.deviceCommands),
    commandResults: z.string().min(1).default(DEFAULT_TOPICS.commandResults),
    alerts: z.string().min(1).default(DEFAULT_TOPICS.alerts),
    deadLetter: z.string().min(1).default(DEFAULT_TOPICS.deadLetter),
  })
  .default(DEFAULT_TOPICS);

/** Parsed `kafka:` section. */
export type KafkaConfig = z.output<typeof kafkaConfigSchema>;
/** Parsed `topics:` section. */
export type TopicsConfig = z.output<typeof topicsConfigSchema>;
