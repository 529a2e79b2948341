import { describe, expect, it } from 'vitest';

import { configDifferences } from '../../src/ops/restore.js';
import { parseConfigText } from '../../src/core/config/load.js';

describe("what a restore's plan says about the archive's wmon.yaml", () => {
  it('names a moved stack directory, an exposed bind address, components switched, images and ports changed', () => {
    const now = parseConfigText('project: p\n', 'now');
    const archived = parseConfigText(
      'project: p\nstackDir: /var/lib/wmon\nbindAddress: 0.0.0.0\nauth: {}\ncomponents:\n  loki: {bindAddress: 127.0.0.1}\n  jaeger: {bindAddress: 127.0.0.1}\n  grafana: {enabled: false}\n  prometheus: {image: docker.io/prom/prometheus:v3.4.0, port: 9091}\n',
      'archived',
    );
    expect(configDifferences(now, archived)).toEqual([
      'stackDir: .wmon → /var/lib/wmon',
      'bindAddress: 127.0.0.1 → 0.0.0.0 (exposes every port beyond this host)',
      'auth: off → on (user wmon)',
      'prometheus image: docker.io/prom/prometheus:v3.5.0 → docker.io/prom/prometheus:v3.4.0',
      'prometheus port: 9090 → 9091',
      'grafana: on → off',
    ]);
    expect(configDifferences(now, now)).toEqual([]);
  });
});
