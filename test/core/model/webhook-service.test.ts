/**
 * The bundled webhook service's container as wmon creates it: the public listener published on the
 * bindAddress, the internal one (metrics, readiness) on loopback only, both named as @wmon/contract names
 * them; a read-only root file system with the SQLite volume and a small /tmp writable.
 */
import { ROUTES, SERVICE_LISTENERS } from '@wmon/contract';
import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { containerSpecs } from '../../../src/core/model/containers.js';
import { buildStack } from '../../../src/core/model/stack.js';
import { readinessUrl } from '../../../src/adapters/runtime/readiness.js';

function webhookSpec(yaml: string) {
  const stack = buildStack(parseConfigText(yaml, 'wmon.yaml'));
  const spec = containerSpecs(stack, { stackDir: '/stack', secretMounts: {} }).find((s) => s.component === 'webhook');
  if (!spec) throw new Error('no webhook container');
  return { spec, model: stack.components.find((c) => c.id === 'webhook')! };
}

describe('the webhook service container', () => {
  it('publishes the public port on the bindAddress and the internal one on loopback only', () => {
    const { spec, model } = webhookSpec(
      'components:\n  webhook: {port: 18080, metricsPort: 19464, bindAddress: 0.0.0.0}\n',
    );
    expect(spec.ports.map((p) => [p.containerPort, p.hostIp, p.hostPort])).toEqual([
      [SERVICE_LISTENERS.public.port, '0.0.0.0', 18080],
      [SERVICE_LISTENERS.internal.port, '127.0.0.1', 19464],
    ]);
    expect(spec.env).toMatchObject({
      [SERVICE_LISTENERS.public.portEnv]: String(SERVICE_LISTENERS.public.port),
      [SERVICE_LISTENERS.internal.portEnv]: String(SERVICE_LISTENERS.internal.port),
    });
    // wmon waits on readiness, and reads metrics, through the internal port.
    expect(readinessUrl(spec)).toBe(`http://127.0.0.1:19464${ROUTES.ready}`);
    expect(model.url).toBe('http://127.0.0.1:18080');
    expect(model.privateUrl).toBe('http://127.0.0.1:19464');
  });

  it('keeps a loopback bindAddress of its own for the internal port, and refuses it taken by another component', () => {
    const { spec } = webhookSpec('components:\n  webhook: {bindAddress: 127.0.0.5}\n');
    expect(spec.ports.map((p) => `${p.hostIp}:${p.hostPort}`)).toEqual(['127.0.0.5:8080', '127.0.0.5:9464']);
    expect(() => parseConfigText('components:\n  prometheus: {port: 9464}\n', 'wmon.yaml')).toThrow(
      /port 9464 is already used by components\.prometheus\.port/,
    );
  });

  it('runs on a read-only root file system: only its data volume and a small /tmp are writable', () => {
    const { spec } = webhookSpec('');
    expect(spec.readOnlyRootfs).toBe(true);
    expect(spec.tmpfs).toEqual({ '/tmp': 'rw,noexec,nosuid,size=16m' });
    expect(spec.volumes.map((v) => v.target)).toEqual(['/data']);
    expect(spec.binds.every((b) => b.readOnly)).toBe(true);
  });
});
