/**
 * Free TCP ports on the loopback interface.
 */
import { createServer } from 'node:net';

/** The address every test server listens on. Never a routable interface. */
export const LOOPBACK = '127.0.0.1';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it: listen on port 0, read it
 * back, close). A server started right after will almost always get it; the servers here fail
 * loudly if it was taken in between.
 * @returns a port number in the ephemeral range.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read back an ephemeral port'))));
    });
  });
}
