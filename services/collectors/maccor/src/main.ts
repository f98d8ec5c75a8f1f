#!/usr/bin/env node
/**
 * Entry point: `busbar-collector-maccor --config collector.yaml [--test]`.
 * The configuration file may also be given as `BUSBAR_CONFIG`.
 */
import { parseArgs } from 'node:util';
import { noopMetrics } from '@busbar/core';
import { createLogger, runService } from '@busbar/runtime';
import { loadCollectorConfig } from './config.js';
import { startMaccorCollector } from './collector.js';
import { runTestMode } from './test-mode.js';

const { values: args } = parseArgs({ options: { config: { type: 'string', short: 'c' }, test: { type: 'boolean', default: false } } });
const file = args.config ?? process.env.BUSBAR_CONFIG;

try {
  const config = loadCollectorConfig(file);
  if (args.test) {
    const failed = await runTestMode(config.devices, { logger: createLogger({ service: 'collector-maccor', level: process.env.BUSBAR_LOG_LEVEL ?? 'warn' }), metrics: noopMetrics });
    process.exit(failed > 0 ? 1 : 0);
  }
  await runService({ name: 'collector-maccor', opsHost: config.ops.host, opsPort: config.ops.port, start: ({ logger, metrics }) => startMaccorCollector(config, { logger, metrics }) });
} catch (err) {
  process.stderr.write(`busbar-collector-maccor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
