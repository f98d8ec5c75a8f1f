import { describe, expect, it } from 'vitest';
import { TestkitError } from '../../src/errors.js';
import { createBucket, sharedInflux, sharedKafka, smtpSink, uniqueName, uniqueTopics } from '../../src/shared/index.js';

describe('Testkit > shared > names', () => {
  it('uniqueName appends 8 hex characters, different on every call', () => {
    const a = uniqueName('suite');
    expect(a).toMatch(/^suite-[0-9a-f]{8}$/);
    expect(uniqueName('suite')).not.toBe(a);
  });

  it('uniqueTopics names a list of topics <prefix>.<run>.<name>, one run id for all of them', () => {
    const t = uniqueTopics('hist', ['readings', 'alerts']);
    expect(Object.keys(t)).toEqual(['readings', 'alerts']);
    expect(t.readings).toMatch(/^hist\.[0-9a-f]{8}\.readings$/);
    expect(t.alerts.split('.')[1]).toBe(t.readings.split('.')[1]);
    expect(uniqueTopics('hist', ['readings']).readings).not.toBe(t.readings);
  });

  it('uniqueTopics takes keyed segments and a given run id', () => {
    expect(uniqueTopics('hist', { readings: 'readings', deadLetter: 'dead-letter' }, 'r1')).toEqual({ readings: 'hist.r1.readings', deadLetter: 'hist.r1.dead-letter' });
  });
});

describe('Testkit > shared > outside the integration project', () => {
  it.each([
    ['sharedKafka', sharedKafka],
    ['sharedInflux', sharedInflux],
    ['createBucket', () => createBucket()],
    ['smtpSink', () => smtpSink()],
  ])('%s rejects with BB_TESTKIT_NO_SHARED_SERVERS naming the global setup', async (_name, get) => {
    const err = await get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TestkitError);
    expect((err as TestkitError).code).toBe('BB_TESTKIT_NO_SHARED_SERVERS');
    expect((err as Error).message).toContain('@busbar/testkit/global-setup');
  });
});
