import { describe, expect, it } from 'vitest';
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { createKafka } from '../src/client.js';
import { framingOf } from '../src/framing.js';
import { healingProducer, producerStateLost } from '../src/healing-producer.js';

/** A protocol error as kafkajs builds it from its error table (kafkajs src/protocol/error.js, code 45). */
const outOfOrder = (): KafkaJSProtocolError => new KafkaJSProtocolError({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45, retriable: false, message: 'The broker received an out of order sequence number' } as never);

describe('kafka > healing producer (unit)', () => {
  it('recognises the producer-state errors bare and wrapped by kafkajs\' retrier (src/retry/index.js: the error as its cause)', () => {
    expect(producerStateLost(outOfOrder())).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(producerStateLost(((e) => new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(e, { cause: e }))(outOfOrder()))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(producerStateLost(new KafkaJSProtocolError({ type: 'UNKNOWN_PRODUCER_ID', code: 59, retriable: false, message: 'x' } as never))).toBe('UNKNOWN_PRODUCER_ID');
  });

  it('leaves every other error alone', () => {
    expect(producerStateLost(new KafkaJSProtocolError({ type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false, message: 'x' } as never))).toBeUndefined();
    expect(producerStateLost(new Error('OUT_OF_ORDER_SEQUENCE_NUMBER'))).toBeUndefined();
    expect(producerStateLost(undefined)).toBeUndefined();
  });
});

describe('kafka > healing producer > framing (unit)', () => {
  it('carries the value framing createKafka attached to the producer it wraps (a Confluent deployment keeps publishing Confluent-framed records)', () => {
    const kafka = createKafka({ clientId: 'framing-test', brokers: ['127.0.0.1:9'], avro: { framing: 'confluent', registry: { url: 'http://127.0.0.1:9' } } } as never);
    const wrapped = healingProducer(() => kafka.producer(), { name: 'test' });
    expect(framingOf(wrapped)).toBeDefined();
    expect(framingOf(wrapped)).toBe(framingOf(kafka));
    expect(framingOf(wrapped)?.framing).toBe('confluent');
  });
});
