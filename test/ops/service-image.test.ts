import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../src/core/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { PACKAGE_ROOT } from '../../src/package.js';
import { SERVICE_BUILD_PATHS, serviceBuild } from '../../src/ops/service-image.js';
import { tempDir } from '../support/tmp.js';

describe('the webhook service image build', () => {
  it('sends exactly the paths service/Dockerfile COPYs from the context', async () => {
    const dockerfile = await readFile(path.join(PACKAGE_ROOT, 'service/Dockerfile'), 'utf8');
    const copied = dockerfile
      .split('\n')
      .filter((l) => /^COPY\s/.test(l) && !l.includes('--from='))
      .flatMap((l) => l.trim().split(/\s+/).slice(1, -1));
    expect(new Set([...copied, 'service/Dockerfile'])).toEqual(new Set(SERVICE_BUILD_PATHS));
  });

  it('hashes its inputs: the same sources give the same hash, build arguments change it', async () => {
    const loaded = (yaml: string) => ({
      file: '/x/wmon.yaml',
      dir: '/x',
      exists: true,
      config: parseConfigText(yaml, 'wmon.yaml'),
    });
    const a = await serviceBuild(loaded(''));
    const b = await serviceBuild(loaded(''));
    const c = await serviceBuild(loaded('service:\n  build: {baseImage: localhost/wmon/node:20-slim}\n'));
    expect(a.sourceHash).toBe(b.sourceHash);
    expect(c.sourceHash).not.toBe(a.sourceHash);
    expect(c.buildArgs).toEqual({
      BASE_IMAGE: 'localhost/wmon/node:20-slim',
      BUILD_IMAGE: 'docker.io/library/node:20-bookworm',
    });
  });

  it('passes an extra CA certificate (PEM) to the build, for TLS-intercepting proxies', async () => {
    const dir = await tempDir();
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    await writeFile(path.join(dir, 'ca.pem'), pem);
    const config = parseConfigText('service:\n  build: {caCertFile: ca.pem}\n', 'wmon.yaml');
    const build = await serviceBuild({ file: path.join(dir, 'wmon.yaml'), dir, exists: true, config });
    expect(build.buildArgs.EXTRA_CA_CERT).toBe(pem);
    const dockerfile = await readFile(path.join(PACKAGE_ROOT, 'service/Dockerfile'), 'utf8');
    expect(dockerfile).toContain('ARG EXTRA_CA_CERT');
    expect(dockerfile).toContain('npm config set cafile');
  });

  it('refuses a CA certificate file that became a FIFO after wmon.yaml was loaded, naming the key, without waiting', async () => {
    const dir = await tempDir();
    execFileSync('mkfifo', [path.join(dir, 'ca.pem')]);
    const config = parseConfigText('service:\n  build: {caCertFile: ca.pem}\n', 'wmon.yaml');
    const started = Date.now();
    const error = await serviceBuild({ file: path.join(dir, 'wmon.yaml'), dir, exists: true, config }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exit).toBe(78);
    expect((error as ConfigError).message).toContain(
      `service.build.caCertFile: certificate file ${path.join(dir, 'ca.pem')} is a FIFO (named pipe), not a regular file`,
    );
  });
});
