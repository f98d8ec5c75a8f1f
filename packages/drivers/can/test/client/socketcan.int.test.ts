import { describe, expect, it } from 'vitest';
import { openSocketCan } from '../../src/client/socketcan.js';

describe('SocketCAN with the real npm socketcan module', () => {
  it('loads lazily; on a kernel without the interface, opening fails with BB_CAN_SOCKETCAN_UNAVAILABLE (nothing crashes)', async () => {
    await expect(openSocketCan({ channel: 'busbar-none0' })).rejects.toMatchObject({ code: 'BB_CAN_SOCKETCAN_UNAVAILABLE' });
  });
});
