#!/usr/bin/env node
/** Entry point: `busbar-collector-modbus --config collector.yaml [--test]` (or `BUSBAR_CONFIG`). */
import { runTestMode, startCollector } from '@busbar/collector-kit';
import { modbusModule } from '@busbar/module-modbus';
import { serviceMain } from '@busbar/runtime';
import { loadCollectorConfig } from './config.js';

await serviceMain({
  name: 'collector-modbus',
  load: (file) => loadCollectorConfig(file),
  ops: (config) => config.ops,
  start: (config, ctx) => startCollector(modbusModule, 'collector-modbus', config, ctx),
  test: (config, deps) => runTestMode(modbusModule, config.devices, deps),
});
