/**
 * wmon's HTTPS client paths against a real node exporter serving its web configuration's tls_server_config
 * (Debian's binary, a certificate made here): the readiness wait and the running-version read trust exactly
 * the given certificate for the given name, and refuse anything else with a clear answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { basicAuthHeader, ReadinessError, waitForHttp } from '../../../src/adapters/runtime/readiness.js';
import { buildWebConfig } from '../../../src/core/render/web-config.js';
import { toYaml } from '../../../src/core/render/yaml.js';
import { runningVersion } from '../../../src/ops/versions.js';
import { BINARIES, requireBinaries } from '../../support/debian-daemons.js';
import { freePort } from '../../support/ports.js';
import { makeCert, type TestCert } from '../../support/tls.js';
import { tempDir } from '../../support/tmp.js';

const AUTH = { username: 'wmon', password: 'an https test password' };
let child: ChildProcess | undefined;
let output = '';
let base: string;
let cert: TestCert;
let other: TestCert;

beforeAll(async () => {
  requireBinaries('nodeExporter');
  const dir = await tempDir('wmon-https-');
  cert = makeCert(dir, 'server', { names: ['DNS:localhost', 'IP:127.0.0.1'] });
  other = makeCert(dir, 'other', { names: ['DNS:localhost', 'IP:127.0.0.1'] });
  // wmon's own web configuration, with the container paths pointed at this folder.
  const web = toYaml(buildWebConfig({ username: AUTH.username, bcryptHash: bcrypt.hashSync(AUTH.password, 10) }, true))
    .replaceAll('/run/secrets/wmon/tls-cert.pem', cert.certFile)
    .replaceAll('/run/secrets/wmon/tls-key.pem', cert.keyFile);
  await writeFile(path.join(dir, 'web.yml'), web);
  const port = await freePort();
  base = `https://127.0.0.1:${port}`;
  child = spawn(
    BINARIES.nodeExporter,
    [`--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${path.join(dir, 'web.yml')}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  await waitForHttp({
    url: `${base}/metrics`,
    timeoutMs: 30_000,
    headers: { Authorization: basicAuthHeader(AUTH) },
    tls: { ca: [cert.certPem], serverName: 'localhost' },
  }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${output.slice(-2000)}`);
  });
}, 60_000);

afterAll(() => {
  child?.kill('SIGTERM');
});

/** One readiness attempt: the answer, or the error's last answer. */
async function once(tls: { ca: string[]; serverName: string }, auth = true): Promise<string> {
  try {
    const r = await waitForHttp({
      url: `${base}/metrics`,
      timeoutMs: 3000,
      ...(auth ? { headers: { Authorization: basicAuthHeader(AUTH) } } : {}),
      tls,
      giveUpIf: async () => 'one attempt',
    });
    return `HTTP ${r.status}`;
  } catch (error) {
    expect(error).toBeInstanceOf(ReadinessError);
    return (error as ReadinessError).lastAnswer;
  }
}

describe('HTTPS to a component serving auth.tls', () => {
  it('is answered when the certificate is trusted for the name, with the credentials', async () => {
    expect(await once({ ca: [cert.certPem], serverName: 'localhost' })).toBe('HTTP 200');
    expect(await once({ ca: [cert.certPem], serverName: '127.0.0.1' })).toBe('HTTP 200');
    expect(await once({ ca: [cert.certPem], serverName: 'localhost' }, false)).toMatch(/^HTTP 401/);
  });

  it('is refused for another certificate or a name the certificate does not have, saying why', async () => {
    expect(await once({ ca: [other.certPem], serverName: 'localhost' })).toMatch(
      /SELF_SIGNED|self[- ]signed|UNABLE_TO/i,
    );
    expect(await once({ ca: [cert.certPem], serverName: 'monitor.example.test' })).toMatch(
      /ERR_TLS_CERT_ALTNAME_INVALID/,
    );
  });

  it("reads the node exporter's version over HTTPS, as wmon init checks it", async () => {
    const tls = { ca: [cert.certPem], serverName: 'localhost' };
    expect(await runningVersion('nodeExporter', base, undefined, AUTH, tls)).toMatch(/^\d+\.\d+\.\d+/);
    await expect(
      runningVersion('nodeExporter', base, undefined, AUTH, { ...tls, ca: [other.certPem] }),
    ).rejects.toThrow();
  });
});
