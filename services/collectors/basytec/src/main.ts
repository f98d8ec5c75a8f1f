#!/usr/bin/env node
/**
 * Entry point: `busbar-collector-basytec --config collector.yaml [--test]` (or `BUSBAR_CONFIG`).
 * Database passwords come from the environment variable a tester's `database.passwordEnv` names.
 */
import { serviceMain } from '@busbar/runtime';
import { runTestMode, startBasytecCollector } from './collector.js';
import { loadCollectorConfig } from './config.js';

await serviceMain({
  name: 'collector-basytec',
  load: (file) => ({ config: loadCollectorConfig(file) }),
  ops: ({ config }) => config.ops,
  start: ({ config }, ctx) => startBasytecCollector(config, ctx),
  test: ({ config }, deps) => runTestMode(config.devices, deps),
});
