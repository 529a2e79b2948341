/**
 * The oldest versions of the Prometheus family wmon supports. They are the versions CI runs the whole
 * suite against (scripts/versions.env pins them; a test keeps the two equal), so "supported" means
 * "tested": older ones differ in flags, API answers, data layout and name handling, and are refused.
 * Pure: versions from image tags and from what a running component reports, compared with the minimum.
 */
import { DEFAULT_IMAGES, type ComponentId, type Config } from '../config/schema.js';
import { WmonError } from '../../errors.js';
import { TITLES } from './stack.js';

export const MINIMUM_VERSIONS = {
  prometheus: '3.5.0',
  alertmanager: '0.28.0',
  nodeExporter: '1.9.0',
} as const satisfies Partial<Record<ComponentId, string>>;

export type VersionedComponent = keyof typeof MINIMUM_VERSIONS;

export const VERSIONED_COMPONENTS = Object.keys(MINIMUM_VERSIONS) as VersionedComponent[];

/**
 * Repository names (the last path component) whose tags are the component's upstream versions: the
 * official images (prom/prometheus, quay.io/prometheus/alertmanager, …), their mirrors, and images built
 * like them. Other images' tags say nothing about the version; the running component is asked instead.
 */
const REPOSITORY_NAMES: Record<VersionedComponent, readonly string[]> = {
  prometheus: ['prometheus'],
  alertmanager: ['alertmanager'],
  nodeExporter: ['node-exporter', 'node_exporter'],
};

export type Version = readonly [number, number, number];

/**
 * `3.5.3+ds1`, `v0.28.1`, `1.9`, `v3.5.0-distroless` → [major, minor, patch]; anything else (`latest`,
 * `main`, a date) → undefined.
 */
export function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?:[-+~].*)?$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The version an image's tag names, when the image is the component's own repository; else undefined. */
export function imageTagVersion(component: VersionedComponent, image: string): string | undefined {
  const withoutDigest = image.split('@')[0]!;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon <= slash) return undefined;
  const repository = withoutDigest.slice(slash + 1, colon).toLowerCase();
  if (!REPOSITORY_NAMES[component].includes(repository)) return undefined;
  const tag = withoutDigest.slice(colon + 1);
  return parseVersion(tag) ? tag : undefined;
}

/** Why `version` of the component is not supported, or undefined when it is (or cannot be told). */
export function versionProblem(component: VersionedComponent, version: string): string | undefined {
  const v = parseVersion(version);
  const minimum = MINIMUM_VERSIONS[component];
  if (!v || compareVersions(v, parseVersion(minimum)!) >= 0) return undefined;
  return `${TITLES[component]} ${version.replace(/^v/, '')} is older than ${minimum}, the oldest version wmon supports`;
}

export interface UnsupportedImage {
  readonly component: VersionedComponent;
  /** The config path, e.g. `components.prometheus.image`. */
  readonly path: string;
  readonly image: string;
  readonly problem: string;
}

/** Enabled components whose image tag names a version older than wmon supports. */
export function unsupportedImages(config: Config): UnsupportedImage[] {
  const out: UnsupportedImage[] = [];
  for (const component of VERSIONED_COMPONENTS) {
    const c = config.components[component];
    if (!c.enabled) continue;
    const version = imageTagVersion(component, c.image);
    const problem = version === undefined ? undefined : versionProblem(component, version);
    if (problem) out.push({ component, path: `components.${component}.image`, image: c.image, problem });
  }
  return out;
}

/** The minimums, as one sentence: `Prometheus 3.5.0, Alertmanager 0.28.0 and Node Exporter 1.9.0`. */
export function minimumsText(): string {
  const parts = VERSIONED_COMPONENTS.map((c) => `${TITLES[c]} ${MINIMUM_VERSIONS[c]}`);
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)!}`;
}

/** wmon refuses to run a version older than it supports: the images in wmon.yaml, or what a component reports. */
export function unsupportedVersionError(
  where: string,
  problems: ReadonlyArray<{ readonly component: VersionedComponent; readonly line: string }>,
): WmonError {
  return new WmonError(
    `${where}: ${problems.length === 1 ? 'a version' : 'versions'} older than wmon supports (${minimumsText()} or newer):\n` +
      problems.map((p) => `  ${p.line}`).join('\n'),
    {
      code: 'VERSION_UNSUPPORTED',
      suggestions: [
        ...problems.map(
          (p) =>
            `Set components.${p.component}.image to ${DEFAULT_IMAGES[p.component]} (the default) or a newer version.`,
        ),
        'wmon supports the versions its tests run (README, "Tested with").',
      ],
    },
  );
}

/** Refuse a wmon.yaml whose image tags name unsupported versions (before anything is pulled or started). */
export function assertSupportedImages(config: Config, file: string): void {
  const unsupported = unsupportedImages(config);
  if (unsupported.length === 0) return;
  throw unsupportedVersionError(
    file,
    unsupported.map((u) => ({ component: u.component, line: `${u.path}: ${u.image}: ${u.problem}` })),
  );
}
