/**
 * The versions of the Prometheus family the tests run, read from scripts/versions.env (the one place they
 * are pinned; the scripts that fetch the packages and build the images read it too), and what follows
 * from them: the local image tags (scripts/engine/build-images.sh) and the unpacked binaries
 * (scripts/prom-debs.sh, into .cache/prom/).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const VERSIONS_FILE = path.join(ROOT, 'scripts/versions.env');

/** `KEY=value` lines (quotes removed), as the shell reads them. */
export function parseVersionsEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=(?:"([^"]*)"|([^\s#]*))\s*(?:#.*)?$/.exec(line);
    if (!m) throw new Error(`${VERSIONS_FILE}: not a KEY=value line: ${line}`);
    out[m[1]!] = m[2] ?? m[3] ?? '';
  }
  return out;
}

function pinned(): Record<'prometheus' | 'alertmanager' | 'nodeExporter' | 'blackboxExporter', string> {
  const env = parseVersionsEnv(readFileSync(VERSIONS_FILE, 'utf8'));
  const get = (key: string) => {
    const v = env[key];
    if (v === undefined || !/^\d+\.\d+$/.test(v))
      throw new Error(`${VERSIONS_FILE}: ${key} must be an upstream minor such as 3.5 (is ${v ?? 'missing'})`);
    return v;
  };
  return {
    prometheus: get('PROMETHEUS'),
    alertmanager: get('ALERTMANAGER'),
    nodeExporter: get('NODE_EXPORTER'),
    blackboxExporter: get('BLACKBOX_EXPORTER'),
  };
}

/** The upstream minors CI runs, e.g. `{ prometheus: '3.5', ... }`. */
export const TESTED = pinned();

/** A version string (`3.5.3+ds1`, `v0.28.1`) is of the tested minor. */
export function isTested(component: keyof typeof TESTED, version: string): boolean {
  return version.replace(/^v/, '').startsWith(`${TESTED[component]}.`);
}

/** Local images scripts/engine/build-images.sh builds. */
export const TEST_IMAGES = {
  prometheus: `localhost/wmon/prometheus:${TESTED.prometheus}`,
  alertmanager: `localhost/wmon/alertmanager:${TESTED.alertmanager}`,
  nodeExporter: `localhost/wmon/node-exporter:${TESTED.nodeExporter}`,
  blackboxExporter: `localhost/wmon/blackbox-exporter:${TESTED.blackboxExporter}`,
  node: 'localhost/wmon/node:20',
  nodeSlim: 'localhost/wmon/node:20-slim',
} as const;

/** Where scripts/prom-debs.sh unpacks each package. */
export const PROM_DEBS = path.join(ROOT, '.cache/prom');
