#!/usr/bin/env node
/** Entry point: `busbar-collector-modbus --config collector.yaml [--test]` (or `BUSBAR_CONFIG`). */
import { serviceMain } from '@busbar/runtime';
import { startModbusCollector } from './collector.js';
import { loadCollectorConfig } from './config.js';
import { runTestMode } from './test-mode.js';

await serviceMain({
  name: 'collector-modbus',
  load: (file) => loadCollectorConfig(file),
  ops: (config) => config.ops,
  start: (config, ctx) => startModbusCollector(config, ctx),
  test: (config, deps) => runTestMode(config.devices, deps),
});
