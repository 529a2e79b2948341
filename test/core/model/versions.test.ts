import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { DEFAULT_IMAGES } from '../../../src/core/config/schema.js';
import {
  assertSupportedImages,
  compareVersions,
  imageTagVersion,
  MINIMUM_VERSIONS,
  parseVersion,
  unsupportedImages,
  VERSIONED_COMPONENTS,
  versionProblem,
} from '../../../src/core/model/versions.js';
import { WmonError } from '../../../src/errors.js';
import { TESTED } from '../../support/versions.js';

const config = (components: string) => parseConfigText(`components:\n${components}`, '/x/wmon.yaml');

describe('supported versions', () => {
  it('are the versions CI runs (scripts/versions.env): the oldest supported is the tested minor', () => {
    for (const c of VERSIONED_COMPONENTS) {
      const [major, minor] = parseVersion(MINIMUM_VERSIONS[c])!;
      expect(`${major}.${minor}`, c).toBe(TESTED[c]);
    }
  });

  it('the default images are of the tested minors, so defaults and tested versions move together', () => {
    for (const c of VERSIONED_COMPONENTS) {
      const tag = imageTagVersion(c, DEFAULT_IMAGES[c]);
      expect(tag, DEFAULT_IMAGES[c]).toBeDefined();
      const [major, minor] = parseVersion(tag!)!;
      expect(`${major}.${minor}`, DEFAULT_IMAGES[c]).toBe(TESTED[c]);
      expect(versionProblem(c, tag!)).toBeUndefined();
    }
  });

  it('parses upstream, Debian and image-tag versions', () => {
    expect(parseVersion('3.5.3+ds1')).toEqual([3, 5, 3]);
    expect(parseVersion('v0.28.1')).toEqual([0, 28, 1]);
    expect(parseVersion('1.9')).toEqual([1, 9, 0]);
    expect(parseVersion('v3.5.0-distroless')).toEqual([3, 5, 0]);
    for (const s of ['latest', 'main', '2024-10-01', '20241001', 'v3', '']) expect(parseVersion(s), s).toBeUndefined();
    expect(compareVersions([3, 5, 0], [3, 4, 9])).toBeGreaterThan(0);
    expect(compareVersions([0, 28, 0], [0, 28, 0])).toBe(0);
    expect(compareVersions([2, 55, 1], [3, 0, 0])).toBeLessThan(0);
  });

  it("reads a version from the tag only for the component's own repository", () => {
    expect(imageTagVersion('prometheus', 'docker.io/prom/prometheus:v2.53.0')).toBe('v2.53.0');
    expect(
      imageTagVersion('prometheus', 'registry.example:5000/mirror/prom/prometheus:v3.6.0@sha256:' + 'a'.repeat(64)),
    ).toBe('v3.6.0');
    expect(imageTagVersion('prometheus', 'localhost/wmon/prometheus:3.5')).toBe('3.5');
    expect(imageTagVersion('nodeExporter', 'quay.io/prometheus/node-exporter:v1.8.2')).toBe('v1.8.2');
    expect(imageTagVersion('prometheus', 'docker.io/prom/prometheus:latest')).toBeUndefined();
    expect(imageTagVersion('prometheus', 'docker.io/prom/prometheus@sha256:' + 'a'.repeat(64))).toBeUndefined();
    expect(imageTagVersion('prometheus', 'localhost/wmon/node-exporter:1.5')).toBeUndefined();
    expect(imageTagVersion('prometheus', 'registry.example:5000/prometheus')).toBeUndefined();
  });

  it('says which component is too old, by how much, and the oldest supported', () => {
    expect(versionProblem('prometheus', '2.53.0')).toBe(
      'Prometheus 2.53.0 is older than 3.5.0, the oldest version wmon supports',
    );
    expect(versionProblem('alertmanager', 'v0.27.0')).toBe(
      'Alertmanager 0.27.0 is older than 0.28.0, the oldest version wmon supports',
    );
    expect(versionProblem('prometheus', '3.5.0')).toBeUndefined();
    expect(versionProblem('prometheus', '4.0.0')).toBeUndefined();
    expect(versionProblem('prometheus', 'main')).toBeUndefined();
  });

  it('refuses a wmon.yaml with older images, naming each path, the minimums and the default to use', () => {
    const c = config(`  prometheus: {image: docker.io/prom/prometheus:v2.53.0}
  alertmanager: {image: docker.io/prom/alertmanager:v0.25.0}
  nodeExporter: {image: docker.io/prom/node-exporter:v1.9.1}
`);
    expect(unsupportedImages(c).map((u) => u.path)).toEqual([
      'components.prometheus.image',
      'components.alertmanager.image',
    ]);
    let error: unknown;
    try {
      assertSupportedImages(c, '/x/wmon.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WmonError);
    const e = error as WmonError;
    expect(e.exit).toBe(78);
    expect(e.code).toBe('VERSION_UNSUPPORTED');
    expect(e.message).toContain('Prometheus 3.5.0, Alertmanager 0.28.0 and Node Exporter 1.9.0 or newer');
    expect(e.message).toContain(
      'components.prometheus.image: docker.io/prom/prometheus:v2.53.0: Prometheus 2.53.0 is older than 3.5.0',
    );
    expect(e.message).toContain(
      'components.alertmanager.image: docker.io/prom/alertmanager:v0.25.0: Alertmanager 0.25.0 is older than 0.28.0',
    );
    expect(e.suggestions).toContain(
      `Set components.prometheus.image to ${DEFAULT_IMAGES.prometheus} (the default) or a newer version.`,
    );
  });

  it('lets switched-off components, unknown tags and the defaults be', () => {
    expect(
      unsupportedImages(
        config(
          '  prometheus: {enabled: false, image: docker.io/prom/prometheus:v2.42.0}\n  grafana: {enabled: false}\n',
        ),
      ),
    ).toEqual([]);
    expect(unsupportedImages(config('  prometheus: {image: docker.io/prom/prometheus:latest}\n'))).toEqual([]);
    expect(() => assertSupportedImages(config('  webhook: {enabled: true}\n'), 'wmon.yaml')).not.toThrow();
  });
});
