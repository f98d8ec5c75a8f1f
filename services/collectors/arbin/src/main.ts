#!/usr/bin/env node
/**
 * Entry point: `busbar-collector-arbin --config collector.yaml [--test]`.
 * The configuration file may also be given as `BUSBAR_CONFIG`; the CTI user comes from
 * `ARBIN_CTI_USERNAME` / `ARBIN_CTI_PASSWORD` (or `ARBIN_CTI_USERNAME_FILE` / `ARBIN_CTI_PASSWORD_FILE`).
 */
import { parseArgs } from 'node:util';
import { noopMetrics } from '@busbar/core';
import { loadArbinCredentials } from '@busbar/driver-arbin-cti';
import { createLogger, runService } from '@busbar/runtime';
import { startArbinCollector } from './collector.js';
import { loadCollectorConfig } from './config.js';
import { runTestMode } from './test-mode.js';

const { values: args } = parseArgs({ options: { config: { type: 'string', short: 'c' }, test: { type: 'boolean', default: false } } });
const file = args.config ?? process.env.BUSBAR_CONFIG;

try {
  const config = loadCollectorConfig(file);
  const credentials = loadArbinCredentials(process.env);
  if (args.test) {
    const failed = await runTestMode(config.devices, { logger: createLogger({ service: 'collector-arbin', level: process.env.BUSBAR_LOG_LEVEL ?? 'warn' }), metrics: noopMetrics, credentials });
    process.exit(failed > 0 ? 1 : 0);
  }
  await runService({ name: 'collector-arbin', opsHost: config.ops.host, opsPort: config.ops.port, start: ({ logger, metrics }) => startArbinCollector(config, { logger, metrics, credentials }) });
} catch (err) {
  process.stderr.write(`busbar-collector-arbin: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
