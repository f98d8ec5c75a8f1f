import { describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '@busbar/core';
import { createKafka } from '../src/client.js';

/** A logger recording each line with its bindings merged in. */
function recording(bound: LogFields = {}, lines: { level: string; fields: LogFields; msg: string }[] = []): Logger & { lines: typeof lines } {
  const at = (level: string) => (fields: LogFields, msg: string): void => void lines.push({ level, fields: { ...bound, ...fields }, msg });
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (b) => recording({ ...bound, ...b }, lines) };
}

describe('kafka > client > createKafka', () => {
  it('logs kafkajs lines through the service logger, one key per fact (no kafkajs timestamp/logger), kafkajs errors as warnings', () => {
    const logger = recording();
    const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: 't' }, logger);
    kafka.logger().namespace('Connection').error('Connection error', { broker: '127.0.0.1:9092', retryCount: 2 });
    kafka.logger().info('not shown below WARN', {});
    expect(logger.lines).toEqual([{ level: 'warn', fields: { component: 'kafkajs', namespace: 'Connection', broker: '127.0.0.1:9092', retryCount: 2 }, msg: 'Connection error' }]);
  });
});
