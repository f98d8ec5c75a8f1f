/**
 * The InfluxDB (Flux) data source of the dashboards and a foundation-SDK builder for its queries
 * (the SDK ships no InfluxDB query type; this is its documented "custom query type" extension).
 * A Grafana InfluxDB target in Flux mode is `{ refId, datasource, query }`.
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';

/** The provisioned data source (provisioning/datasources/busbar.yaml): type `influxdb`, uid `busbar-influxdb`. */
export const DATASOURCE = { type: 'influxdb', uid: 'busbar-influxdb' } as const;

/** A Flux query of a panel, an annotation or a template variable. */
export interface FluxQuery {
  refId?: string;
  hide?: boolean;
  datasource?: { type?: string; uid?: string };
  /** The Flux text; Grafana substitutes `${var}` and provides `v.timeRangeStart`, `v.timeRangeStop`, `v.windowPeriod`. */
  query: string;
  _implementsDataqueryVariant(): void;
}

/** Builds a {@link FluxQuery} on {@link DATASOURCE}. */
export class FluxQueryBuilder implements Builder<Dataquery> {
  private readonly internal: FluxQuery;

  /** @param query - the Flux text. */
  constructor(query: string) {
    this.internal = { datasource: { ...DATASOURCE }, query, _implementsDataqueryVariant() {} };
  }

  /** The query. */
  build(): FluxQuery {
    return this.internal;
  }

  /** Sets the query's reference id (`A`, `B`...). */
  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }
}
