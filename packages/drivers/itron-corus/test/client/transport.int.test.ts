import { describe, expect, it } from 'vitest';
import { serialTransport, tcpTransport } from '../../src/client/transport.js';

describe('Client > transports', () => {
  it('serial: serialport is imported only on open(); a missing device → BB_CORUS_CONNECT_FAILED', async () => {
    const t = serialTransport({ path: '/dev/busbar-no-such-tty' })();
    expect(t.description).toBe('serial:///dev/busbar-no-such-tty');
    await expect(t.open()).rejects.toMatchObject({ code: expect.stringMatching(/^BB_CORUS_(CONNECT_FAILED|SERIAL_UNAVAILABLE)$/) });
    await t.close();
  });
  it('tcp: a refused connection → BB_CORUS_CONNECT_FAILED (retriable)', async () => {
    const t = tcpTransport({ host: '127.0.0.1', port: 1, connectTimeoutMs: 2000 })();
    await expect(t.open()).rejects.toMatchObject({ code: 'BB_CORUS_CONNECT_FAILED', retriable: true });
    await t.close();
  });
});
