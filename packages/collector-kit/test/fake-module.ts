/**
 * A protocol module written for the runtime's tests: in-memory sessions the test can lose, a poll
 * that reads nothing, and a background job the test scripts. Not a device: what is under test is
 * the runtime (supervision, the job's runs, publishing, stop).
 */
import { z } from 'zod';
import type { ReadingInput } from '@busbar/avro';
import type { DeviceJob, JobContext, ProtocolModule, Session } from '@busbar/protocol';

/** A session the test can lose. */
export interface FakeSession extends Session {
  /** 1, 2, ... in the order they were opened. */
  readonly n: number;
  lose(error: Error): void;
  closed: boolean;
}

/** One fake device. */
export interface FakeDevice {
  readonly id: string;
  readonly pollIntervalMs: number;
}

/** A reading of the fake job. */
export function jobReading(deviceId: string, i: number, sequence: number): ReadingInput {
  return { device_id: deviceId, protocol: 'fake', channel: null, timestamp: new Date(Date.UTC(2020, 0, 1, 0, 0, i)), values: { i }, exact_values: {}, states: { source: 'job' }, quality: 'GOOD', sequence };
}

/** The module, the sessions it opened, and the job's script. */
export function fakeModule(job: (device: FakeDevice) => Partial<DeviceJob<FakeSession>> & { run(session: FakeSession, ctx: JobContext): Promise<void> }): { module: ProtocolModule<FakeDevice, FakeSession>; sessions: FakeSession[] } {
  const sessions: FakeSession[] = [];
  const module: ProtocolModule<FakeDevice, FakeSession> = {
    protocol: 'fake',
    actionPrefix: 'fake.',
    devicesSchema: z.array(z.object({ id: z.string(), pollIntervalMs: z.number() })),
    resolveDevices: (d) => d,
    sessionMode: () => 'shared',
    open: async () => {
      let lose!: (e: Error) => void;
      const lost = new Promise<Error>((r) => (lose = r));
      const s: FakeSession = { n: sessions.length + 1, lost, lose: (e) => lose(e), closed: false, close: async () => void (s.closed = true) };
      sessions.push(s);
      return s;
    },
    poll: async () => undefined,
    toRecords: () => ({ readings: [] }),
    job: (device) => ({ name: 'fake-job', intervalMs: 50, ...job(device) }),
    actions: {},
  };
  return { module, sessions };
}
