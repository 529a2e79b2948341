/**
 * Engine endpoints: parsing DOCKER_HOST-style addresses, loading TLS material, and a tiny HTTP GET against
 * the Engine API used to confirm a candidate (no dockerode here: a ping must fail fast and say why).
 */
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { EngineEndpoint } from '../../core/model/container-types.js';

export function endpointAddress(endpoint: EngineEndpoint): string {
  return endpoint.kind === 'unix'
    ? `unix://${endpoint.socketPath}`
    : `tcp://${endpoint.host}:${endpoint.port}${endpoint.tls ? ' (TLS)' : ''}`;
}

export type ParsedHost =
  { readonly ok: true; readonly endpoint: EngineEndpoint } | { readonly ok: false; readonly reason: string };

/**
 * Parse a DOCKER_HOST value (`unix:///path`, `tcp://host:port`, `host:port`) with Docker's TLS variables:
 * DOCKER_TLS_VERIFY (any non-empty value) turns TLS on with verification, port 2376 turns it on; client
 * certificates come from DOCKER_CERT_PATH, else `<home>/.docker`.
 */
export function parseDockerHost(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  homedir: string,
): ParsedHost {
  const raw = value.trim();
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    if (!socketPath.startsWith('/'))
      return { ok: false, reason: `"${raw}" is not unix:// followed by an absolute path` };
    return { ok: true, endpoint: { kind: 'unix', socketPath } };
  }
  if (raw.startsWith('ssh://')) {
    return {
      ok: false,
      reason: `ssh:// endpoints are not supported; forward the socket instead (ssh -NL /tmp/engine.sock:/var/run/docker.sock host) and set DOCKER_HOST=unix:///tmp/engine.sock`,
    };
  }
  if (raw.startsWith('npipe://')) return { ok: false, reason: 'npipe:// (Windows named pipes) is not supported' };
  const withScheme = raw.includes('://') ? raw : `tcp://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, reason: `"${raw}" is not an address like unix:///var/run/docker.sock or tcp://host:2376` };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `the scheme ${url.protocol}// is not supported (use unix:// or tcp://)` };
  }
  const verify = (env.DOCKER_TLS_VERIFY ?? '') !== '';
  const tlsWanted = verify || url.protocol === 'https:' || url.port === '2376';
  const port = url.port === '' ? (tlsWanted ? 2376 : 2375) : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { ok: false, reason: `"${raw}" has no host name` };
  const certPath =
    env.DOCKER_CERT_PATH && env.DOCKER_CERT_PATH !== '' ? env.DOCKER_CERT_PATH : path.join(homedir, '.docker');
  return { ok: true, endpoint: { kind: 'tcp', host, port, tls: tlsWanted ? { certPath, verify } : null } };
}

export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** ca.pem, cert.pem and key.pem from a Docker cert directory, each only when present. */
export function loadTls(certPath: string | undefined): TlsMaterial {
  if (certPath === undefined) return {};
  const read = (name: string): Buffer | undefined => {
    const file = path.join(certPath, name);
    return existsSync(file) ? readFileSync(file) : undefined;
  };
  const material: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  const ca = read('ca.pem');
  const cert = read('cert.pem');
  const key = read('key.pem');
  if (ca) material.ca = ca;
  if (cert) material.cert = cert;
  if (key) material.key = key;
  return material;
}

export interface EngineAnswer {
  readonly status: number;
  readonly body: string;
  /** Response headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** GET a path of the Engine API with a deadline covering connect, headers and body. */
export function engineGet(endpoint: EngineEndpoint, apiPath: string, timeoutMs: number): Promise<EngineAnswer> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = { method: 'GET', path: apiPath, headers: { Host: 'docker' } };
    let transport: typeof http | typeof https = http;
    if (endpoint.kind === 'unix') {
      options.socketPath = endpoint.socketPath;
    } else {
      options.host = endpoint.host;
      options.port = endpoint.port;
      if (endpoint.tls) {
        transport = https;
        Object.assign(options, loadTls(endpoint.tls.certPath), { rejectUnauthorized: endpoint.tls.verify });
      }
    }
    const req = transport.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no answer within ${(timeoutMs / 1000).toFixed(1)} s`), {
        code: 'ETIMEDOUT',
      });
      req.destroy(error);
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}
