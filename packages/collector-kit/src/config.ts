/**
 * Configuration fields every collector shares (spread into each collector's zod schema).
 */
import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * - `instanceId`: this process's identity; names its consumer group for routed commands
 *   (`busbar-collector-<protocol>-<instanceId>`). Default: the host name — set it explicitly where
 *   host names change (containers), or a new group replays the routed-commands topic.
 * - `maxCommandLifetimeMs`: the longest command lifetime accepted (expires_at − now), ms; keep it the
 *   same as the commander's `maxCommandLifetimeMs` (default 1 h).
 */
export const collectorCommonShape = {
  instanceId: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be A-Z a-z 0-9 . _ -').default(hostname()),
  maxCommandLifetimeMs: z.number().int().min(1000).max(86_400_000).default(3_600_000),
};
