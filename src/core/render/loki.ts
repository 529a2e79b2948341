import type { Config } from '../config/schema.js';
import { CONTAINER_PORTS } from '../model/stack.js';

/** loki.yaml: a single-process Loki on the filesystem, with retention from wmon.yaml. */
export function buildLokiConfig(config: Config): Record<string, unknown> {
  return {
    auth_enabled: false,
    server: { http_listen_port: CONTAINER_PORTS.loki, grpc_listen_port: 9096, log_level: 'warn' },
    common: {
      instance_addr: '127.0.0.1',
      path_prefix: '/loki',
      storage: { filesystem: { chunks_directory: '/loki/chunks', rules_directory: '/loki/rules' } },
      replication_factor: 1,
      ring: { kvstore: { store: 'inmemory' } },
    },
    schema_config: {
      configs: [
        {
          from: '2024-01-01',
          store: 'tsdb',
          object_store: 'filesystem',
          schema: 'v13',
          index: { prefix: 'index_', period: '24h' },
        },
      ],
    },
    limits_config: { retention_period: config.loki.retention, allow_structured_metadata: true },
    compactor: {
      working_directory: '/loki/compactor',
      retention_enabled: true,
      delete_request_store: 'filesystem',
    },
    analytics: { reporting_enabled: false },
  };
}
