/**
 * What wmon sets for Jaeger, checked against Jaeger 2.8's documentation. Jaeger cannot run here; wmon gives
 * it a configuration file: its built-in all-in-one configuration (cmd/jaeger/internal/all-in-one.yaml at
 * v2.8.0) with Badger on a volume in place of memory (cmd/jaeger/config-badger.yaml at v2.8.0), and what the
 * stack model sets: environment, ports, the readiness probe, and the OTLP endpoint the webhook service sends to.
 *   - https://www.jaegertracing.io/docs/2.8/deployment/configuration/ ("Environment Variables")
 *   - https://www.jaegertracing.io/docs/2.8/architecture/apis/ ("Default Ports")
 */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

import { parseConfigText } from '../../../src/core/config/load.js';
import { buildStack, type ComponentModel } from '../../../src/core/model/stack.js';
import { renderStack } from '../../../src/core/render/index.js';

const CONFIGURATION = 'https://www.jaegertracing.io/docs/2.8/deployment/configuration/';
const APIS = 'https://www.jaegertracing.io/docs/2.8/architecture/apis/';

const config = parseConfigText('', 'wmon.yaml');
const stack = buildStack(config);
const component = (id: string): ComponentModel => {
  const c = stack.components.find((m) => m.id === id);
  if (!c) throw new Error(`no ${id} in the stack`);
  return c;
};
const jaeger = component('jaeger');

describe('Jaeger as wmon runs it, against the Jaeger 2.8 documentation', () => {
  it(`environment: only what ${CONFIGURATION} says Jaeger v2 reads`, () => {
    // "Jaeger v2 can only be configured via a config file, it does not recognize environment variables in the
    // same way as Jaeger v1 used to do … the hostname is `localhost` by default but it can be overwritten via
    // `JAEGER_LISTEN_HOST` environment variable, which is useful when running Jaeger in a container and it
    // needs to be `0.0.0.0`". The other variables it reads are the OpenTelemetry Go SDK's (OTEL_*).
    const documented = (name: string) => name === 'JAEGER_LISTEN_HOST' || name.startsWith('OTEL_');
    expect(Object.keys(jaeger.env).filter((name) => !documented(name))).toEqual([]);
    // The other containers reach its receivers: it must listen on every interface, not localhost.
    expect(jaeger.env).toEqual({ JAEGER_LISTEN_HOST: '0.0.0.0' });
    // One flag: the rendered configuration, from its mounted folder.
    expect(jaeger.cmd).toEqual(['--config=/etc/jaeger/wmon/jaeger.yaml']);
    expect(jaeger.config).toEqual({ dir: 'jaeger', target: '/etc/jaeger/wmon' });
  });

  it('keeps traces in Badger on a volume where the image lets its user write (v2.8 config-badger.yaml, Dockerfile)', () => {
    const file = renderStack(config).files.find((f) => f.path === 'jaeger/jaeger.yaml')!;
    const cfg = YAML.parse(file.contents) as {
      service: { extensions: string[]; pipelines: { traces: { exporters: string[] } } };
      extensions: {
        jaeger_query: { storage: { traces: string } };
        jaeger_storage: {
          backends: Record<string, { badger?: { directories: Record<string, string>; ephemeral: boolean } }>;
        };
      };
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      exporters: { jaeger_storage_exporter: { trace_storage: string } };
    };
    // config-badger.yaml: `badger: {directories: {keys, values}, ephemeral: false}`, named by jaeger_query's
    // storage.traces and jaeger_storage_exporter's trace_storage.
    const store = cfg.extensions.jaeger_query.storage.traces;
    expect(cfg.exporters.jaeger_storage_exporter.trace_storage).toBe(store);
    const badger = cfg.extensions.jaeger_storage.backends[store]!.badger!;
    expect(badger.ephemeral).toBe(false);
    // Both folders on the volume; the image (cmd/jaeger/Dockerfile: `VOLUME ["/tmp"]`, `USER 10001`, alpine's
    // /tmp is world-writable) lets its user write there, and a new volume takes the folder's mode.
    const mount = jaeger.volumes[0]!;
    expect(mount).toEqual({ name: 'jaeger-data', target: '/tmp' });
    for (const dir of Object.values(badger.directories)) expect(dir.startsWith(`${mount.target}/`)).toBe(true);
    expect(Object.keys(badger.directories).sort()).toEqual(['keys', 'values']);
    expect(cfg.service.pipelines.traces.exporters).toEqual(['jaeger_storage_exporter']);
    expect(cfg.service.extensions).toEqual(expect.arrayContaining(['jaeger_storage', 'jaeger_query']));
    // The OTLP/HTTP receiver listens where the stack sends (JAEGER_LISTEN_HOST is 0.0.0.0 in the container).
    expect(cfg.receivers.otlp.protocols.http.endpoint).toBe('${env:JAEGER_LISTEN_HOST:-localhost}:4318');
  });

  it(`ports: the query port and the OTLP/HTTP port of ${APIS} ("Default Ports")`, () => {
    // Read APIs: 16686 HTTP `/api/v3/*` (Query JSON over HTTP, stable) and `/api/*` (internal).
    // Write APIs: 4318 HTTP `/v1/traces` (OTLP Protobuf or OTLP JSON).
    expect(jaeger.ports.map((p) => [p.name, p.containerPort])).toEqual([
      ['http', 16686],
      ['otlp-http', 4318],
    ]);
    // The readiness probe (SPEC: `GET /api/services` 200) is on the query port's `/api/*`.
    expect(jaeger.readiness.path).toMatch(/^\/api\//);
  });

  it('the webhook service sends its spans to the documented OTLP/HTTP endpoint', () => {
    // OTEL_EXPORTER_OTLP_ENDPOINT is the base URL: the exporter appends `/v1/traces`, Jaeger's path on 4318.
    expect(component('webhook').env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    expect(jaeger.internalUrl).toBe('http://jaeger:16686');
  });
});
