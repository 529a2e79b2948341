import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../../src/core/config/load.js';
import { MAX_PEM_FILE_BYTES } from '../../../src/core/config/small-file.js';
import { certificateState, loadTls } from '../../../src/core/config/tls.js';
import { ConfigError, EXIT_CODES } from '../../../src/errors.js';
import { makeCert, type TestCert } from '../../support/tls.js';
import { tempDir } from '../../support/tmp.js';

let dir: string;
let self: TestCert;
let other: TestCert;
let ca: TestCert;
let signed: TestCert;

beforeAll(async () => {
  dir = await tempDir();
  self = makeCert(dir, 'self');
  other = makeCert(dir, 'other');
  ca = makeCert(dir, 'ca', { isCa: true, days: 60 });
  signed = makeCert(dir, 'signed', { ca, names: ['DNS:monitor.example.test'] });
});

const ENV = { WMON_AUTH_PASSWORD: 'a-long-enough-password' };

/** Load wmon.yaml with this auth.tls; the problems as `path: message`, or [] when it loads. */
async function problems(tls: string): Promise<string[]> {
  const file = path.join(dir, 'wmon.yaml');
  await writeFile(file, `auth:\n  password: {env: WMON_AUTH_PASSWORD}\n  tls: ${tls}\n`);
  try {
    await loadConfig(file, { env: ENV });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exit).toBe(EXIT_CODES.config.code);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
}

describe('auth.tls in wmon.yaml', () => {
  it('accepts a self-signed certificate and its key, trusted as it is', async () => {
    expect(await problems('{certFile: self.crt, keyFile: self.key}')).toEqual([]);
    const loaded = await loadConfig(path.join(dir, 'wmon.yaml'), { env: ENV });
    const r = loadTls(loaded.config, dir);
    expect(r?.ok).toBe(true);
    if (!r?.ok) return;
    expect(r.material).toMatchObject({ serverName: 'localhost', privateCa: false, caPem: self.certPem });
    expect(r.material.names).toContain('DNS:localhost');
    expect(r.material.notAfter.getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);
  });

  it('names a missing file, a folder and a FIFO by key, without waiting for a writer', async () => {
    expect(await problems('{certFile: nope.crt, keyFile: self.key}')).toEqual([
      `auth.tls.certFile: certificate file ${path.join(dir, 'nope.crt')} does not exist`,
    ]);
    expect(await problems('{certFile: self.crt, keyFile: .}')).toEqual([
      `auth.tls.keyFile: key file ${dir} is a folder, not a regular file`,
    ]);
    execFileSync('mkfifo', [path.join(dir, 'fifo.pem')]);
    const started = Date.now();
    expect(await problems('{certFile: self.crt, keyFile: self.key, caFile: fifo.pem}')).toEqual([
      `auth.tls.caFile: CA file ${path.join(dir, 'fifo.pem')} is a FIFO (named pipe), not a regular file`,
    ]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a file over the size bound before reading it', async () => {
    await writeFile(path.join(dir, 'huge.crt'), Buffer.alloc(MAX_PEM_FILE_BYTES + 1, 'A'));
    expect(await problems('{certFile: huge.crt, keyFile: self.key}')).toEqual([
      `auth.tls.certFile: certificate file ${path.join(dir, 'huge.crt')} is ${MAX_PEM_FILE_BYTES + 1} bytes; it may have at most ${MAX_PEM_FILE_BYTES} bytes`,
    ]);
  });

  it('says what is not PEM, and what does not parse', async () => {
    await writeFile(path.join(dir, 'text.crt'), 'hello\n');
    await writeFile(
      path.join(dir, 'broken.crt'),
      '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    );
    expect(await problems('{certFile: text.crt, keyFile: text.crt}')).toEqual([
      `auth.tls.certFile: ${path.join(dir, 'text.crt')} is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)`,
      `auth.tls.keyFile: ${path.join(dir, 'text.crt')} is not a PEM private key (no -----BEGIN PRIVATE KEY----- block)`,
    ]);
    const [broken] = await problems('{certFile: broken.crt, keyFile: self.key}');
    expect(broken).toMatch(/^auth\.tls\.certFile: .*broken\.crt: its certificate cannot be parsed \(/);
    // A key given as the certificate, and the certificate as the key.
    expect(await problems('{certFile: self.key, keyFile: self.crt}')).toEqual([
      `auth.tls.certFile: ${self.keyFile} is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)`,
      `auth.tls.keyFile: ${self.certFile} is not a PEM private key (no -----BEGIN PRIVATE KEY----- block)`,
    ]);
  });

  it('refuses a key that is not the certificate’s, and an encrypted key', async () => {
    expect(await problems('{certFile: self.crt, keyFile: other.key}')).toEqual([
      `auth.tls.keyFile: the key in ${other.keyFile} does not belong to the certificate in ${self.certFile} (auth.tls.certFile): give the key the certificate was made for`,
    ]);
    execFileSync('openssl', [
      'pkey',
      '-in',
      self.keyFile,
      '-aes256',
      '-passout',
      'pass:secret',
      '-out',
      path.join(dir, 'enc.key'),
    ]);
    const [encrypted] = await problems('{certFile: self.crt, keyFile: enc.key}');
    expect(encrypted).toMatch(
      /^auth\.tls\.keyFile: .*enc\.key is encrypted: Prometheus cannot read a key with a passphrase/,
    );
  });

  it('checks the certificate against the private CA, and the server name against the certificate', async () => {
    expect(
      await problems('{certFile: signed.crt, keyFile: signed.key, caFile: ca.crt, serverName: monitor.example.test}'),
    ).toEqual([]);
    expect(
      await problems(
        '{certFile: signed.crt, keyFile: signed.key, caFile: other.crt, serverName: monitor.example.test}',
      ),
    ).toEqual([
      `auth.tls.caFile: the certificate in ${signed.certFile} was not signed by a certificate in ${other.certFile}: give the CA that issued it`,
    ]);
    expect(await problems('{certFile: signed.crt, keyFile: signed.key, caFile: ca.crt}')).toEqual([
      `auth.tls.serverName: the certificate in ${signed.certFile} is not valid for localhost, the name wmon and Prometheus check it against (its names: DNS:monitor.example.test): set auth.tls.serverName to one of them`,
    ]);
    expect(await problems('{certFile: self.crt, keyFile: self.key, serverName: 127.0.0.1}')).toEqual([]);
  });

  it('tells a certificate valid, expiring, expired or not yet valid', () => {
    const m = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2026-03-01T00:00:00Z') };
    expect(certificateState(m, new Date('2026-01-15T00:00:00Z'))).toEqual({ state: 'valid', daysLeft: 45 });
    expect(certificateState(m, new Date('2026-02-20T00:00:00Z'))).toEqual({ state: 'expiring', daysLeft: 9 });
    expect(certificateState(m, new Date('2026-03-02T00:00:00Z'))).toEqual({ state: 'expired', since: m.notAfter });
    expect(certificateState(m, new Date('2025-12-31T00:00:00Z'))).toEqual({
      state: 'not-yet-valid',
      from: m.notBefore,
    });
  });
});

describe('service.build.caCertFile', () => {
  async function caProblems(name: string): Promise<string[]> {
    const file = path.join(dir, 'wmon-ca.yaml');
    await writeFile(file, `service:\n  build: {caCertFile: ${name}}\n`);
    try {
      await loadConfig(file, { env: {} });
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    }
  }

  it('is read only when it is a regular file within the size bound', async () => {
    expect(await caProblems('ca.crt')).toEqual([]);
    execFileSync('mkfifo', [path.join(dir, 'ca-fifo.pem')]);
    const started = Date.now();
    expect(await caProblems('ca-fifo.pem')).toEqual([
      `service.build.caCertFile: certificate file ${path.join(dir, 'ca-fifo.pem')} is a FIFO (named pipe), not a regular file`,
    ]);
    expect(Date.now() - started).toBeLessThan(2000);
    await writeFile(path.join(dir, 'big-ca.pem'), Buffer.alloc(MAX_PEM_FILE_BYTES + 1, 'A'));
    expect(await caProblems('big-ca.pem')).toEqual([
      `service.build.caCertFile: certificate file ${path.join(dir, 'big-ca.pem')} is ${MAX_PEM_FILE_BYTES + 1} bytes; it may have at most ${MAX_PEM_FILE_BYTES} bytes`,
    ]);
    expect(await caProblems('missing.pem')).toEqual([
      `service.build.caCertFile: certificate file ${path.join(dir, 'missing.pem')} does not exist`,
    ]);
  });
});
