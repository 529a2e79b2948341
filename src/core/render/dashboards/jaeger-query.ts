/**
 * A Jaeger data-source query for the SDK's panels. @grafana/grafana-foundation-sdk has no Jaeger package, so
 * this is the one query model written here, in the SDK's shape (a `cog.Dataquery` and its builder), after
 * Grafana's own type: `JaegerQuery` in public/app/plugins/datasource/jaeger/types.ts (grafana/grafana):
 * `queryType` ('search' or 'upload'; later versions add 'dependencyGraph'), `service`, `operation`,
 * `query` (a trace id), `tags`, `minDuration`, `maxDuration`, `limit`, plus DataQuery's `refId` and
 * `datasource`. Only the fields wmon sets have setters.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';

export type JaegerQueryType = 'search' | 'upload';

export interface JaegerQuery extends cog.Dataquery {
  refId: string;
  datasource?: DataSourceRef;
  queryType?: JaegerQueryType;
  service?: string;
  operation?: string;
  query?: string;
  tags?: string;
  /** A duration such as `500ms` or `1.2s`. */
  minDuration?: string;
  maxDuration?: string;
  limit?: number;
}

export class JaegerQueryBuilder implements cog.Builder<cog.Dataquery> {
  // As the SDK's own dataqueries: the marker method is a function, so JSON.stringify leaves it out.
  private readonly internal: JaegerQuery = { refId: '', _implementsDataqueryVariant: () => {} };

  build(): JaegerQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(datasource: DataSourceRef): this {
    this.internal.datasource = datasource;
    return this;
  }

  queryType(queryType: JaegerQueryType): this {
    this.internal.queryType = queryType;
    return this;
  }

  service(service: string): this {
    this.internal.service = service;
    return this;
  }

  minDuration(minDuration: string): this {
    this.internal.minDuration = minDuration;
    return this;
  }

  limit(limit: number): this {
    this.internal.limit = limit;
    return this;
  }
}
