import { describe, expect, it } from 'vitest';
import { DEFAULT_TOPICS } from '@busbar/kafka';
import { resolveTopic } from '../src/tail.js';

describe('cli > tail > resolveTopic', () => {
  const topics = { ...DEFAULT_TOPICS, commandResults: 'lab.results' };

  it('a role names the configured topic and its record', () => {
    expect(resolveTopic('command-results', topics)).toMatchObject({ topic: 'lab.results', serde: { recordName: 'io.busbar.v1.CommandResult' } });
    expect(resolveTopic('deviceEvents', topics)).toMatchObject({ topic: 'busbar.device-events.v1', serde: { recordName: 'io.busbar.v1.DeviceEvent' } });
    expect(resolveTopic('device-commands', topics).serde?.recordName).toBe('io.busbar.v1.Command');
  });

  it('a configured topic name finds its record; another name is read by fingerprint', () => {
    expect(resolveTopic('busbar.readings.v1', topics).serde?.recordName).toBe('io.busbar.v1.Reading');
    expect(resolveTopic('something.else', topics)).toEqual({ topic: 'something.else', serde: undefined });
  });
});
