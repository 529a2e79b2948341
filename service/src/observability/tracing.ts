/**
 * OpenTelemetry traces over OTLP/HTTP, only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Spans are exported
 * in batches from a bounded queue (dropped when full), with a short timeout: a slow or absent collector
 * never slows request handling, and export errors are not fatal (OpenTelemetry's diag logger is silent).
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface Tracing {
  readonly tracer: Tracer | undefined;
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL: `<endpoint>/v1/traces`, as the OpenTelemetry spec defines for the base variable. */
export function tracesUrl(endpoint: string): string {
  return endpoint.replace(/\/+$/, '') + '/v1/traces';
}

export function createTracing(endpoint: string | undefined, serviceName: string, version: string): Tracing {
  if (!endpoint) return { tracer: undefined, shutdown: async () => {} };
  const exporter = new OTLPTraceExporter({ url: tracesUrl(endpoint), timeoutMillis: 5000 });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.version': version }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        maxQueueSize: 4096,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 1000,
        exportTimeoutMillis: 5000,
      }),
    ],
  });
  provider.register();
  return {
    tracer: trace.getTracer(serviceName, version),
    shutdown: async () => {
      await Promise.race([provider.shutdown().catch(() => {}), new Promise((r) => setTimeout(r, 3000).unref())]);
    },
  };
}
