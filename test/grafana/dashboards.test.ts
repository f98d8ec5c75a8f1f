/**
 * Busbar's Grafana dashboards (deploy/grafana/src/dashboards.ts): the committed JSON is what the code
 * generates (snapshot), and each panel, annotation and variable queries the provisioned data source.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allDashboards, EXPECTED_COLUMNS } from '../../deploy/grafana/src/dashboards.js';
import { DATASOURCE } from '../../deploy/grafana/src/flux.js';

const dir = new URL('../../deploy/grafana/', import.meta.url);
const dashboards = allDashboards();

describe('deploy > grafana > dashboards', () => {
  it.each(Object.keys(dashboards))('dashboards/%s.json is what src/dashboards.ts generates (run npx tsx deploy/grafana/generate.ts)', (name) => {
    const committed = readFileSync(new URL(`dashboards/${name}.json`, dir), 'utf8');
    expect(committed).toBe(`${JSON.stringify(dashboards[name], null, 2)}\n`);
  });

  it('commits no dashboard file the code does not generate', () => {
    expect(readdirSync(new URL('dashboards/', dir)).sort()).toEqual(Object.keys(dashboards).map((n) => `${n}.json`).sort());
  });

  it('every panel has one Flux target, annotation and query variable on the provisioned InfluxDB data source, with expected columns', () => {
    const provisioned = parse(readFileSync(new URL('provisioning/datasources/busbar.yaml', dir), 'utf8')) as { datasources: { uid: string; type: string; jsonData: { version: string } }[] };
    expect(provisioned.datasources[0]).toMatchObject({ uid: DATASOURCE.uid, type: DATASOURCE.type, jsonData: { version: 'Flux' } });
    for (const d of Object.values(dashboards)) {
      const uid = d.uid!;
      const titles = (d.panels ?? []).map((p) => (p as { title: string }).title);
      expect(Object.keys(EXPECTED_COLUMNS[uid] ?? {}).sort(), uid).toEqual([...titles].sort());
      for (const p of d.panels ?? []) {
        const targets = (p as { targets?: { query?: string; datasource?: unknown }[] }).targets ?? [];
        expect(targets, (p as { title: string }).title).toHaveLength(1);
        expect(targets[0]!.datasource).toEqual(DATASOURCE);
        expect(targets[0]!.query).toMatch(/from\(bucket: "\$\{bucket\}"\)/);
      }
      for (const a of d.annotations?.list ?? []) expect((a.target as { datasource?: unknown }).datasource).toEqual(DATASOURCE);
      for (const v of d.templating?.list ?? []) if (v.type === 'query') expect(v.datasource).toEqual(DATASOURCE);
    }
  });

  it('the cycler channel view has the device, channel and test variables, test with an "all" value', () => {
    const vars = dashboards['cycler-channel']!.templating!.list!;
    expect(vars.map((v) => v.name)).toEqual(['bucket', 'device', 'channel', 'test']);
    expect(vars[3]).toMatchObject({ includeAll: true, allValue: '__all' });
  });

  it('the rig view has the bucket and device variables, the device among rig readings, and its two annotations', () => {
    const rig = dashboards.rig!;
    expect(rig.templating!.list!.map((v) => v.name)).toEqual(['bucket', 'device']);
    expect(String(rig.templating!.list![1]!.query)).toContain('r._measurement =~ /^rig:/');
    expect(rig.annotations!.list!.map((a) => a.name)).toEqual(expect.arrayContaining(['Safety state', 'Rig actions and faults']));
  });

  it('the provider loads the dashboards folder', () => {
    const provider = parse(readFileSync(new URL('provisioning/dashboards/busbar.yaml', dir), 'utf8')) as { providers: { type: string; options: { path: string } }[] };
    expect(provider.providers[0]).toMatchObject({ type: 'file' });
  });
});
