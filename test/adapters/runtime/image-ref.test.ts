import { describe, expect, it } from 'vitest';
import { isLocalOnlyImage, normalizeImageRef } from '../../../src/adapters/runtime/image-ref.js';
import { demultiplex } from '../../../src/adapters/runtime/stream-demux.js';

describe('image references', () => {
  it('qualifies short names the way Docker does, so Podman cannot resolve them differently', () => {
    expect(normalizeImageRef('node:20')).toBe('docker.io/library/node:20');
    expect(normalizeImageRef('prom/prometheus')).toBe('docker.io/prom/prometheus:latest');
    expect(normalizeImageRef('prom/prometheus:v3.5.0')).toBe('docker.io/prom/prometheus:v3.5.0');
    expect(normalizeImageRef('index.docker.io/grafana/grafana:12.0.0')).toBe('docker.io/grafana/grafana:12.0.0');
    expect(normalizeImageRef('docker.io/redis')).toBe('docker.io/library/redis:latest');
  });

  it('keeps full references and registries with ports', () => {
    expect(normalizeImageRef('localhost/wmon/prometheus:2.42')).toBe('localhost/wmon/prometheus:2.42');
    expect(normalizeImageRef('quay.io/prometheus/node-exporter:v1.8.2')).toBe(
      'quay.io/prometheus/node-exporter:v1.8.2',
    );
    expect(normalizeImageRef('registry.example:5000/team/app')).toBe('registry.example:5000/team/app:latest');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(normalizeImageRef(`grafana/loki@${digest}`)).toBe(`docker.io/grafana/loki@${digest}`);
    expect(normalizeImageRef(`grafana/loki:3.5.0@${digest}`)).toBe(`docker.io/grafana/loki:3.5.0@${digest}`);
  });

  it('rejects what is not a reference (exit 78, config)', () => {
    expect(() => normalizeImageRef('')).toThrow(/is empty/);
    expect(() => normalizeImageRef('Prom/Prometheus')).toThrow(/"Prom" is not a valid repository name component/);
    expect(() => normalizeImageRef('prom/prometheus:v3 ')).not.toThrow();
    try {
      normalizeImageRef('prom//prometheus');
    } catch (error) {
      expect((error as { exit: number }).exit).toBe(78);
    }
  });

  it('knows localhost/ images cannot be pulled', () => {
    expect(isLocalOnlyImage('localhost/wmon/node:20')).toBe(true);
    expect(isLocalOnlyImage('node:20')).toBe(false);
  });
});

describe('demultiplexing engine output', () => {
  const frame = (stream: 1 | 2, text: string): Buffer => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it('splits stdout and stderr and keeps their order', () => {
    const out = demultiplex(Buffer.concat([frame(1, 'starting\n'), frame(2, 'warning: é\n'), frame(1, 'ready\n')]));
    expect(out).toEqual({ text: 'starting\nwarning: é\nready\n', stdout: 'starting\nready\n', stderr: 'warning: é\n' });
  });

  it("passes a TTY container's unframed output through", () => {
    expect(demultiplex(Buffer.from('plain output\n'))).toEqual({
      text: 'plain output\n',
      stdout: 'plain output\n',
      stderr: '',
    });
    expect(demultiplex(Buffer.alloc(0)).text).toBe('');
  });
});
