#!/usr/bin/env node
/** Entry point: `busbar-collector-corus --config collector.yaml [--test]` (or `BUSBAR_CONFIG`). */
import { serviceMain } from '@busbar/runtime';
import { runTestMode, startCorusCollector } from './collector.js';
import { loadCollectorConfig } from './config.js';

await serviceMain({
  name: 'collector-corus',
  load: (file) => loadCollectorConfig(file),
  ops: (config) => config.ops,
  start: (config, ctx) => startCorusCollector(config, ctx),
  test: (config, deps) => runTestMode(config, deps),
});
