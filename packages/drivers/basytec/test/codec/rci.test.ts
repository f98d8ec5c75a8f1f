import { describe, expect, it } from 'vitest';
import { EXAMPLE_RCI_TEMPLATES, expectReply, fillRequest, LineDecoder, matchReply, validateTemplates } from '../../src/codec/rci.js';

describe('RCI templates (reference §6: syntax not public, so configured)', () => {
  it('fills a request and matches success and refusal replies with the channel escaped', () => {
    expect(fillRequest('start', EXAMPLE_RCI_TEMPLATES.start, { channel: 7, plan: 'cap.pln' })).toBe('START 7 cap.pln');
    const e = expectReply('start', EXAMPLE_RCI_TEMPLATES.start, { channel: 7, plan: 'cap.pln' });
    expect(matchReply(e, 'OK START 7')).toEqual({ kind: 'success', groups: {} });
    expect(matchReply(e, 'OK START 70')).toEqual({ kind: 'none' });
    expect(matchReply(e, 'ERR START 7 channel busy')).toEqual({ kind: 'refused', groups: { reason: 'channel busy' } });
    const dot = expectReply('stop', EXAMPLE_RCI_TEMPLATES.stop, { channel: '1.2' });
    expect(matchReply(dot, 'OK STOP 1x2').kind).toBe('none');
    const st = expectReply('readState', EXAMPLE_RCI_TEMPLATES.readState, { channel: 3 });
    expect(matchReply(st, 'STATE 3 running')).toEqual({ kind: 'success', groups: { state: 'running' } });
  });

  it('refuses missing placeholders and values with line breaks or non-ASCII, as not_sent', () => {
    expect(() => fillRequest('start', EXAMPLE_RCI_TEMPLATES.start, { channel: 1 })).toThrow(expect.objectContaining({ code: 'BB_BASYTEC_RCI_TEMPLATE_INVALID', outcome: 'not_sent', context: expect.objectContaining({ placeholder: 'plan' }) }));
    expect(() => fillRequest('start', EXAMPLE_RCI_TEMPLATES.start, { channel: 1, plan: 'a\r\nSTOP 2' })).toThrow(/printable ASCII/);
    expect(() => fillRequest('start', EXAMPLE_RCI_TEMPLATES.start, { channel: 1, plan: 'plän' })).toThrow(/printable ASCII/);
  });

  it('validates a template set: required commands, regex syntax, reply placeholders known to the request', () => {
    expect(() => validateTemplates(EXAMPLE_RCI_TEMPLATES)).not.toThrow();
    const { stop: _s, ...noStop } = EXAMPLE_RCI_TEMPLATES;
    expect(() => validateTemplates(noStop as never)).toThrow(/rci.templates.stop is missing/);
    expect(() => validateTemplates({ ...EXAMPLE_RCI_TEMPLATES, stop: { request: 'STOP {channel}', success: '^OK (' } })).toThrow(/stop.success is not a valid regular expression/);
    expect(() => validateTemplates({ ...EXAMPLE_RCI_TEMPLATES, stop: { request: 'STOP', success: '^OK {channel}$' } })).toThrow(/uses \{channel\} which the request does not/);
    expect(() => validateTemplates({ ...EXAMPLE_RCI_TEMPLATES, stop: { request: 'STOP {channel}', success: '^OK$', timeoutMs: 0 } })).toThrow(/timeoutMs/);
  });

  it('LineDecoder splits at LF for any chunking, drops CR, caps a runaway line', () => {
    const bytes = Buffer.from('OK START 1\r\nSTATE 2 idle\nERR');
    for (let i = 1; i < bytes.length; i++) {
      const d = new LineDecoder();
      expect([...d.push(bytes.subarray(0, i)).lines, ...d.push(bytes.subarray(i)).lines]).toEqual(['OK START 1', 'STATE 2 idle']);
    }
    const d = new LineDecoder(16);
    expect(d.push(Buffer.alloc(40, 0x41)).overflow).toBe(true);
    expect(d.push(Buffer.from('\nOK\n')).lines).toEqual(['', 'OK']);
  });
});
