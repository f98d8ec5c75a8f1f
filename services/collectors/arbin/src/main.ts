#!/usr/bin/env node
/**
 * Entry point: `busbar-collector-arbin --config collector.yaml [--test]` (or `BUSBAR_CONFIG`).
 * The CTI user comes from `ARBIN_CTI_USERNAME` / `ARBIN_CTI_PASSWORD` (or `ARBIN_CTI_USERNAME_FILE` /
 * `ARBIN_CTI_PASSWORD_FILE`); it is never logged.
 */
import { loadArbinCredentials } from '@busbar/driver-arbin-cti';
import { serviceMain } from '@busbar/runtime';
import { runTestMode, startArbinCollector } from './collector.js';
import { loadCollectorConfig } from './config.js';

await serviceMain({
  name: 'collector-arbin',
  load: (file) => ({ config: loadCollectorConfig(file), credentials: loadArbinCredentials(process.env) }),
  ops: ({ config }) => config.ops,
  start: ({ config, credentials }, ctx) => startArbinCollector(config, { ...ctx, credentials }),
  test: ({ config, credentials }, deps) => runTestMode(config.devices, { ...deps, credentials }),
});
