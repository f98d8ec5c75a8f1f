import { describe, expect, it } from 'vitest';
import { decodeAckRecord, encodeAckRecord } from '../src/ack.js';

const ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

describe('alert-control > ack', () => {
  it('encodes the documented JSON and decodes it back', () => {
    const bytes = encodeAckRecord({ alertId: ID, by: 'alice', comment: 'on it', atMs: 1_764_000_000_000 });
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ v: 1, action: 'ack', alert_id: ID, by: 'alice', comment: 'on it', at_ms: 1_764_000_000_000 });
    expect(decodeAckRecord(bytes)).toEqual({ alertId: ID, by: 'alice', comment: 'on it', atMs: 1_764_000_000_000 });
    expect(decodeAckRecord(Buffer.from(`{"v":1,"action":"ack","alert_id":"${ID}","by":"pager-bot","at_ms":5}`))).toEqual({ alertId: ID, by: 'pager-bot', comment: undefined, atMs: 5 });
  });

  it.each([
    ['not JSON', '{"v":1,', /not JSON/],
    ['another version', `{"v":2,"action":"ack","alert_id":"${ID}","by":"a","at_ms":1}`, /^alert-control record: v: /],
    ['another action', `{"v":1,"action":"unack","alert_id":"${ID}","by":"a","at_ms":1}`, /^alert-control record: action: /],
    ['no alert id', '{"v":1,"action":"ack","by":"a","at_ms":1}', /^alert-control record: alert_id: /],
    ['empty by', `{"v":1,"action":"ack","alert_id":"${ID}","by":"","at_ms":1}`, /^alert-control record: by: /],
    ['a comment too long', `{"v":1,"action":"ack","alert_id":"${ID}","by":"a","comment":"${'x'.repeat(1025)}","at_ms":1}`, /^alert-control record: comment: /],
    ['a fractional time', `{"v":1,"action":"ack","alert_id":"${ID}","by":"a","at_ms":1.5}`, /^alert-control record: at_ms: /],
    ['an unknown field', `{"v":1,"action":"ack","alert_id":"${ID}","by":"a","at_ms":1,"until":2}`, /^alert-control record: \(record\): .*until/],
    ['a JSON array', '[]', /^alert-control record: \(record\): /],
  ])('refuses %s with BB_ALERTER_ACK_INVALID naming the field', (_, text, message) => {
    expect(() => decodeAckRecord(Buffer.from(text))).toThrow(expect.objectContaining({ code: 'BB_ALERTER_ACK_INVALID', message: expect.stringMatching(message) }));
  });
});
