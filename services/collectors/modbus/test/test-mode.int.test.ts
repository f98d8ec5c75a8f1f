import { describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import { runTestMode } from '@busbar/collector-kit';
import { modbusModule, resolveModbusDevices } from '@busbar/module-modbus';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import { collectorConfigSchema } from '../src/index.js';

describe('collector-modbus > --test mode', () => {
  it('polls each device once and prints decoded readings as JSON lines; a dead device prints its error code', async () => {
    const sim = await startPowerSupplySimulator({ seed: 3 });
    try {
      sim.forceInput('temperature_c', 36.6);
      const raw = collectorConfigSchema.parse({
        kafka: { brokers: ['127.0.0.1:1'] },
        devices: [
          { id: 'psu-1', connection: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, map: { points: POWER_SUPPLY_MAP.points } },
          { id: 'gone', connection: { kind: 'tcp', host: '127.0.0.1', port: 1 }, timeoutMs: 300, map: { points: POWER_SUPPLY_MAP.points } },
        ],
      });
      const lines: string[] = [];
      const failed = await runTestMode(modbusModule, resolveModbusDevices(raw.devices!, '.'), { logger: noopLogger, metrics: noopMetrics }, (l) => lines.push(l));
      expect(failed).toBe(1);
      const [ok, bad] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(ok).toMatchObject({ device_id: 'psu-1', protocol: 'modbus', channel: null, quality: 'GOOD' });
      expect((ok!.values as Record<string, number>).temperature_c).toBe(36.6);
      expect((ok!.values as Record<string, number>).voltage_setpoint_v).toBe(sim.state().voltageSetpointV);
      expect(bad).toMatchObject({ device_id: 'gone', error: 'BB_MODBUS_CONNECTION' });
    } finally {
      await sim.close();
    }
  });
});
