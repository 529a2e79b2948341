import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';

import type { ConfigIssue } from '../../errors.js';
import type { Config } from './schema.js';
import { MAX_PEM_FILE_BYTES, readSmallFileSync } from './small-file.js';

/**
 * wmon.yaml's `auth.tls`: the certificate and key Prometheus, Alertmanager and the node exporter serve HTTPS
 * with, and what their clients trust. Every file is read bounded (a regular file of at most 1 MiB) and parsed
 * by node:crypto (X509Certificate, createPrivateKey): never by hand.
 */
export interface TlsMaterial {
  /** The certificate file's PEM text (the certificate, and any intermediates after it). */
  readonly certPem: string;
  readonly keyPem: string;
  /** What clients trust: the CA file's PEM text, else the certificate file's own (a self-signed certificate). */
  readonly caPem: string;
  /** Whether `caPem` came from `auth.tls.caFile`. */
  readonly privateCa: boolean;
  /** The name clients check the certificate against (SNI and host name verification). */
  readonly serverName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The certificate's names, as node:crypto lists them (e.g. `DNS:localhost, IP Address:127.0.0.1`). */
  readonly names: string;
  readonly certFile: string;
}

export type TlsLoad =
  | { readonly ok: true; readonly material: TlsMaterial }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
/** At most this many certificates in one file (a CA bundle): more is not a certificate file. */
const MAX_CERTIFICATES = 500;

function certificates(text: string, file: string, key: string): X509Certificate[] | ConfigIssue {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    return { path: key, message: `${file} is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)` };
  }
  if (blocks.length > MAX_CERTIFICATES) {
    return { path: key, message: `${file} holds ${blocks.length} certificates; at most ${MAX_CERTIFICATES}` };
  }
  const out: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      out.push(new X509Certificate(block));
    } catch (error) {
      const which = blocks.length === 1 ? 'its certificate' : `certificate ${i + 1} of ${blocks.length}`;
      return { path: key, message: `${file}: ${which} cannot be parsed (${(error as Error).message})` };
    }
  }
  return out;
}

/** Whether `leaf` chains (through `intermediates`) up to one of `anchors`, each signature checked. */
function chainsTo(leaf: X509Certificate, intermediates: X509Certificate[], anchors: X509Certificate[]): boolean {
  let current = leaf;
  for (let depth = 0; depth < 10; depth++) {
    const signedBy = (c: X509Certificate) => current.checkIssued(c) && current.verify(c.publicKey);
    if (anchors.some((a) => a.fingerprint256 === current.fingerprint256 || signedBy(a))) return true;
    const next = intermediates.find((c) => c !== current && signedBy(c));
    if (!next) return false;
    current = next;
  }
  return false;
}

/** Read and check `auth.tls`: every file, the key against the certificate, the CA, the server name. */
export function loadTls(config: Config, baseDir: string): TlsLoad | undefined {
  const tls = config.auth?.tls;
  if (!tls) return undefined;
  const issues: ConfigIssue[] = [];
  const read = (key: string, rel: string, what: string): string | undefined => {
    const r = readSmallFileSync(path.resolve(baseDir, rel), MAX_PEM_FILE_BYTES, what);
    if (!r.ok) {
      issues.push({ path: key, message: r.problem });
      return undefined;
    }
    return r.bytes.toString('utf8');
  };
  const certFile = path.resolve(baseDir, tls.certFile);
  const keyFile = path.resolve(baseDir, tls.keyFile);
  const certPem = read('auth.tls.certFile', tls.certFile, 'certificate file');
  const keyPem = read('auth.tls.keyFile', tls.keyFile, 'key file');
  const caPem = tls.caFile === undefined ? undefined : read('auth.tls.caFile', tls.caFile, 'CA file');

  let chain: X509Certificate[] | undefined;
  if (certPem !== undefined) {
    const c = certificates(certPem, certFile, 'auth.tls.certFile');
    if (Array.isArray(c)) chain = c;
    else issues.push(c);
  }
  let key: KeyObject | undefined;
  if (keyPem !== undefined) {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(keyPem)) {
      issues.push({
        path: 'auth.tls.keyFile',
        message: `${keyFile} is encrypted: Prometheus cannot read a key with a passphrase (decrypt it: openssl pkey -in ${path.basename(keyFile)} -out key.pem)`,
      });
    } else if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(keyPem)) {
      issues.push({
        path: 'auth.tls.keyFile',
        message: `${keyFile} is not a PEM private key (no -----BEGIN PRIVATE KEY----- block)`,
      });
    } else {
      try {
        key = createPrivateKey({ key: keyPem, format: 'pem' });
      } catch (error) {
        issues.push({
          path: 'auth.tls.keyFile',
          message: `${keyFile}: the private key cannot be parsed (${(error as Error).message})`,
        });
      }
    }
  }
  let anchors: X509Certificate[] | undefined;
  if (caPem !== undefined) {
    const c = certificates(caPem, path.resolve(baseDir, tls.caFile!), 'auth.tls.caFile');
    if (Array.isArray(c)) anchors = c;
    else issues.push(c);
  }

  const leaf = chain?.[0];
  if (leaf && key && !leaf.checkPrivateKey(key)) {
    issues.push({
      path: 'auth.tls.keyFile',
      message: `the key in ${keyFile} does not belong to the certificate in ${certFile} (auth.tls.certFile): give the key the certificate was made for`,
    });
  }
  if (leaf && chain && anchors && !chainsTo(leaf, chain.slice(1), anchors)) {
    issues.push({
      path: 'auth.tls.caFile',
      message: `the certificate in ${certFile} was not signed by a certificate in ${path.resolve(baseDir, tls.caFile!)}: give the CA that issued it`,
    });
  }
  const serverName = tls.serverName;
  if (leaf) {
    const covered = isIP(serverName) ? leaf.checkIP(serverName) : leaf.checkHost(serverName);
    if (covered === undefined) {
      const names = leaf.subjectAltName ?? `subject ${leaf.subject.replace(/\n/g, ', ')}`;
      issues.push({
        path: 'auth.tls.serverName',
        message: `the certificate in ${certFile} is not valid for ${serverName}, the name wmon and Prometheus check it against (its names: ${names}): set auth.tls.serverName to one of them`,
      });
    }
  }
  if (issues.length > 0 || !leaf || certPem === undefined || keyPem === undefined) return { ok: false, issues };
  return {
    ok: true,
    material: {
      certPem,
      keyPem,
      caPem: caPem ?? certPem,
      privateCa: caPem !== undefined,
      serverName,
      notBefore: new Date(leaf.validFrom),
      notAfter: new Date(leaf.validTo),
      names: leaf.subjectAltName ?? leaf.subject.replace(/\n/g, ', '),
      certFile,
    },
  };
}

/** Every problem of `auth.tls` (none when it is absent or fine). */
export function checkTls(config: Config, baseDir: string): ConfigIssue[] {
  const r = loadTls(config, baseDir);
  return r && !r.ok ? [...r.issues] : [];
}

/** Days before the end of its validity from which a certificate is reported (`wmon check`: WARNING). */
export const CERT_EXPIRY_WARNING_DAYS = 14;

export type CertificateState =
  | { readonly state: 'valid'; readonly daysLeft: number }
  | { readonly state: 'expiring'; readonly daysLeft: number }
  | { readonly state: 'expired'; readonly since: Date }
  | { readonly state: 'not-yet-valid'; readonly from: Date };

/** Where `now` is in the certificate's validity. */
export function certificateState(m: Pick<TlsMaterial, 'notBefore' | 'notAfter'>, now: Date): CertificateState {
  if (now < m.notBefore) return { state: 'not-yet-valid', from: m.notBefore };
  if (now > m.notAfter) return { state: 'expired', since: m.notAfter };
  const daysLeft = Math.floor((m.notAfter.getTime() - now.getTime()) / 86_400_000);
  return daysLeft < CERT_EXPIRY_WARNING_DAYS ? { state: 'expiring', daysLeft } : { state: 'valid', daysLeft };
}
