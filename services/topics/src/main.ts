#!/usr/bin/env node
/**
 * Entry point: `busbar-topics create [options]` (see {@link parseTopicsArgs}). Prints one line per
 * topic; exits 0 when every topic is in place (a partition warning included), 2 on a usage or
 * configuration error, 1 when the cluster could not be reached or refused a request.
 */
import { runTopicsCli } from './run.js';

process.exitCode = await runTopicsCli(process.argv.slice(2));
