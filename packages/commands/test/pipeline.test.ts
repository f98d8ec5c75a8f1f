import { describe, expect, it } from 'vitest';
import type { Command, CommandResultInput } from '@busbar/avro';
import { CommandExecutor } from '../src/executor.js';
import { CommandPipeline } from '../src/pipeline.js';

function cmd(id: string, device = 'd1'): Command {
  return { command_id: id, issuer: 't', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: device, channel: null }, action: 'x.do', parameters: {}, dry_run: false };
}

describe('actions > CommandPipeline', () => {
  it('publishes a pending result on redelivery after a failed publish, without executing again', async () => {
    let runs = 0;
    const executor = new CommandExecutor({ resolve: (c) => (c.target.device_id === 'solo' ? { kind: 'route', to: 'device-commands' } : { kind: 'execute', action: { summary: 'do', run: async () => ({ n: String(++runs) }) } }) });
    const published: CommandResultInput[] = [];
    const routed: string[] = [];
    let failPublish = true;
    const pipeline = new CommandPipeline(executor, {
      publishResult: async (r) => {
        if (failPublish) throw new Error('broker unavailable');
        published.push(r);
      },
      route: async (c, to) => void routed.push(`${c.command_id}->${to}`),
    });
    await expect(pipeline.process(cmd('a'))).rejects.toThrow('broker unavailable');
    expect(runs).toBe(1);
    expect(pipeline.pendingCount).toBe(1);
    failPublish = false;
    await pipeline.process(cmd('a')); // the consumer redelivers the batch
    expect(runs).toBe(1);
    expect(published.map((r) => [r.command_id, r.status, r.details?.n])).toEqual([['a', 'EXECUTED', '1']]);
    await pipeline.process(cmd('a')); // a true duplicate later: nothing
    expect(published).toHaveLength(1);
    await pipeline.process(cmd('s1', 'solo'));
    await pipeline.process(cmd('s1', 'solo'));
    expect(routed).toEqual(['s1->device-commands']);
    expect(pipeline.pendingCount).toBe(0);
  });

  it('keeps the REJECTED result of an over-long command_id pending under its digest and publishes it once on redelivery', async () => {
    const executor = new CommandExecutor({ resolve: () => ({ kind: 'route', to: 'never' }) });
    const published: CommandResultInput[] = [];
    let failPublish = true;
    const pipeline = new CommandPipeline(executor, {
      publishResult: async (r) => {
        if (failPublish) throw new Error('broker unavailable');
        published.push(r);
      },
    });
    const long = cmd('x'.repeat(200_000));
    await expect(pipeline.process(long)).rejects.toThrow('broker unavailable');
    failPublish = false;
    await pipeline.process(long);
    await pipeline.process(long);
    expect(published.map((r) => [r.status, r.reason_code, r.command_id.slice(0, 7), r.command_id.length])).toEqual([['REJECTED', 'BB_COMMAND_FIELD_TOO_LONG', 'sha256:', 71]]);
    expect(pipeline.pendingCount).toBe(0);
  });
});
