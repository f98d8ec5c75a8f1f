import { describe, expect, it } from 'vitest';
import { isBusbarError } from '@busbar/core';
import { createPlatformaticProducer } from '../src/platformatic.js';

describe('createPlatformaticProducer: settings it does not support yet', () => {
  for (const [name, security, field] of [
    ['TLS', { ssl: true as const }, 'kafka.ssl'],
    ['SASL', { sasl: { mechanism: 'SCRAM-SHA-256' as const, username: 'u', passwordFile: '/nonexistent' } }, 'kafka.sasl'],
  ] as const) {
    it(`refuses ${name} with BB_KAFKA_CLIENT_UNSUPPORTED naming ${field}`, () => {
      let caught: unknown;
      try {
        createPlatformaticProducer({ brokers: ['127.0.0.1:9'], clientId: 't', ...security });
      } catch (err) {
        caught = err;
      }
      expect(isBusbarError(caught)).toBe(true);
      expect(caught).toMatchObject({ code: 'BB_KAFKA_CLIENT_UNSUPPORTED', context: { field } });
    });
  }
});
