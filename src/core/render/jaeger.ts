import { CONTAINER_PORTS, JAEGER_DATA_DIR } from '../model/stack.js';

const listen = (port: number) => `\${env:JAEGER_LISTEN_HOST:-localhost}:${port}`;

/**
 * jaeger.yaml: Jaeger 2.8's built-in all-in-one configuration (cmd/jaeger/internal/all-in-one.yaml at v2.8.0)
 * with Badger on its volume instead of memory (cmd/jaeger/config-badger.yaml), so traces survive a restart and
 * are in backups taken with `--include traces`. Badger's own span TTL (72 h) applies.
 */
export function buildJaegerConfig(): Record<string, unknown> {
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
      },
      telemetry: {
        resource: { 'service.name': 'jaeger' },
        metrics: {
          level: 'detailed',
          readers: [
            {
              pull: {
                exporter: {
                  prometheus: { host: '${env:JAEGER_LISTEN_HOST:-localhost}', port: CONTAINER_PORTS.jaegerMetrics },
                },
              },
            },
          ],
        },
        logs: { level: 'info' },
      },
    },
    extensions: {
      jaeger_query: { storage: { traces: 'badger_store' } },
      jaeger_storage: {
        backends: {
          badger_store: {
            badger: {
              directories: { keys: `${JAEGER_DATA_DIR}/jaeger/keys`, values: `${JAEGER_DATA_DIR}/jaeger/values` },
              ephemeral: false,
            },
          },
        },
      },
      healthcheckv2: { use_v2: true, http: { endpoint: listen(13133) } },
    },
    receivers: {
      otlp: {
        protocols: { grpc: { endpoint: listen(4317) }, http: { endpoint: listen(CONTAINER_PORTS.jaegerOtlpHttp) } },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: 'badger_store' } },
  };
}
