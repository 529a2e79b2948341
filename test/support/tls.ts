import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A certificate and its key made by the openssl CLI (node:crypto cannot make X.509), as files and PEM text. */
export interface TestCert {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * A P-256 certificate in `dir` named `name`: self-signed, or signed by `ca`. Valid `days` from now for
 * `names` (subjectAltName entries such as `DNS:localhost`, `IP:127.0.0.1`).
 */
export function makeCert(
  dir: string,
  name: string,
  opts: { names?: string[]; days?: number; ca?: TestCert; isCa?: boolean } = {},
): TestCert {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const days = String(opts.days ?? 30);
  const san = `subjectAltName=${(opts.names ?? ['DNS:localhost', 'IP:127.0.0.1']).join(',')}`;
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile];
  const ext = opts.isCa ? ['-addext', 'basicConstraints=critical,CA:TRUE'] : ['-addext', san];
  if (!opts.ca) {
    run(['req', '-x509', ...key, '-out', certFile, '-days', days, '-subj', `/CN=${name}`, ...ext]);
  } else {
    const csr = path.join(dir, `${name}.csr`);
    const extFile = path.join(dir, `${name}.ext`);
    execFileSync('sh', ['-c', `printf '%s\\n' "${san}" > "${extFile}"`]);
    run(['req', '-new', ...key, '-out', csr, '-subj', `/CN=${name}`]);
    run([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      opts.ca.certFile,
      '-CAkey',
      opts.ca.keyFile,
      '-CAcreateserial',
      '-out',
      certFile,
      '-days',
      days,
      '-extfile',
      extFile,
    ]);
  }
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}
