/**
 * manifest.json and the other JSON files of a backup archive: zod schemas, the single source of their
 * types. Parsing an archive's JSON never trusts it: every file is checked against these before use.
 */
import { z } from 'zod';

import { datasourceRecordSchema } from '../../adapters/clients/grafana.js';
import { FORMAT_NAME, FORMAT_VERSION } from './format.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex');
const count = z.number().int().nonnegative();

export const manifestFileSchema = z.object({
  path: z.string().min(1),
  size: count,
  sha256,
});

export const componentRecordSchema = z.object({
  enabled: z.boolean(),
  /** The image reference wmon.yaml names. */
  image: z.string(),
  /** The local image id it resolved to, when the engine knew it. */
  imageId: z.string().nullable(),
  /** Registry digests of that image (empty for images built locally). */
  digests: z.array(z.string()),
  container: z.string().nullable(),
  running: z.boolean(),
});

/** A query answered at backup time, asked again after a restore: the values must be the same. */
export const probeSchema = z.object({
  query: z.string(),
  /** Unix seconds. */
  time: z.number(),
  result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.string() })),
});

export const blockSchema = z.object({
  ulid: z.string(),
  /** Milliseconds since the epoch. */
  minTime: z.number(),
  maxTime: z.number(),
  numSeries: count.optional(),
  numSamples: count.optional(),
});

export const manifestSchema = z.object({
  format: z.literal(FORMAT_NAME),
  formatVersion: z.number().int().positive(),
  wmonVersion: z.string(),
  createdAt: z.string(),
  project: z.string(),
  environment: z.string(),
  /** Every component of the stack as it was: on or off, image, digests, container. */
  components: z.record(z.string(), componentRecordSchema),
  config: z.object({
    /** wmon.yaml's stackDir. */
    stackDir: z.string(),
    /** Rendered files, relative to the stack directory (each is in the archive under config/). */
    files: z.array(z.string()),
  }),
  prometheus: z
    .object({
      /** snapshot: blocks from the admin API of a running server; volume: a stopped server's data folder. */
      mode: z.enum(['snapshot', 'volume']),
      /** Prometheus's version, when it answered. */
      version: z.string().nullable(),
      volume: z.string(),
      retention: z.string(),
      files: count,
      bytes: count,
      blocks: z.array(blockSchema),
      probes: z.array(probeSchema),
    })
    .optional(),
  alertmanager: z.object({ silences: count }).optional(),
  /**
   * The bundled service's store: its SQLite file (webhook/webhooks.db, an online backup checked with PRAGMA
   * integrity_check), or a note that it is external (PostgreSQL) and not in the archive.
   */
  webhook: z
    .discriminatedUnion('store', [
      z.object({
        store: z.literal('sqlite'),
        /** online: copied while the service ran; stopped: from the stopped service's volume. */
        mode: z.enum(['online', 'stopped']),
        volume: z.string(),
        file: z.string(),
        bytes: count,
        /** PRAGMA user_version of the copy. */
        schemaVersion: count,
        /** PRAGMA integrity_check of the copy answered "ok". */
        integrityCheck: z.literal('ok'),
        /** Rows per table. */
        tables: z.record(z.string(), count),
        /** Events per processing state. */
        events: z.object({ pending: count, processed: count, deadLetter: count }),
      }),
      z.object({ store: z.literal('external'), included: z.literal(false), note: z.string() }),
    ])
    .optional(),
  grafana: z
    .object({
      folders: count,
      dashboards: z.array(
        z.object({
          uid: z.string(),
          title: z.string(),
          folderUid: z.string().nullable(),
          provisioned: z.boolean(),
          file: z.string(),
        }),
      ),
      datasources: z.array(
        z.object({
          uid: z.string(),
          name: z.string(),
          type: z.string(),
          readOnly: z.boolean(),
          secureFields: z.array(z.string()),
        }),
      ),
    })
    .optional(),
  /**
   * Secrets the stack needs and the archive does not hold: where each comes from (wmon.yaml's env or file
   * reference, or generated into the stack directory), and Grafana data sources' secure fields.
   */
  secrets: z.array(
    z.object({
      name: z.string(),
      source: z.enum(['env', 'file', 'generated', 'grafana']),
      ref: z.string().nullable(),
      note: z.string(),
    }),
  ),
  /** Every other file of the archive. */
  files: z.array(manifestFileSchema),
  totalBytes: count,
  /**
   * Loki's and Jaeger's volumes (`wmon backup --include logs,traces`), each copied whole under its folder
   * (loki/data/, jaeger/data/) while the component was stopped. Absent in archives without them (and before
   * format version 3).
   */
  dataVolumes: z
    .array(
      z.object({
        kind: z.enum(['logs', 'traces']),
        component: z.enum(['loki', 'jaeger']),
        volume: z.string(),
        /** Where the volume is mounted in the component's container. */
        mountPath: z.string(),
        /** stopped: stopped for the copy and started again; not-running: it was not running. */
        mode: z.enum(['stopped', 'not-running']),
        /** Owner ("uid:gid") of the files in the volume, given back to them by a restore. */
        owner: z
          .string()
          .regex(/^\d+:\d+$/)
          .nullable(),
        files: count,
        bytes: count,
      }),
    )
    .max(2)
    .optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof manifestFileSchema>;
export type ComponentRecord = z.infer<typeof componentRecordSchema>;
export type Probe = z.infer<typeof probeSchema>;
export type BlockRecord = z.infer<typeof blockSchema>;
export type DataVolumeRecord = NonNullable<Manifest['dataVolumes']>[number];

export const silenceRecordSchema = z.object({
  id: z.string(),
  state: z.enum(['expired', 'active', 'pending']),
  matchers: z.array(
    z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().optional() }),
  ),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
});
export const silencesFileSchema = z.array(silenceRecordSchema);
export type SilenceRecord = z.infer<typeof silenceRecordSchema>;

export const foldersFileSchema = z.array(z.object({ uid: z.string(), title: z.string() }));

export const datasourcesFileSchema = z.array(datasourceRecordSchema);
export type DatasourceRecord = z.infer<typeof datasourceRecordSchema>;

export const dashboardFileSchema = z.object({
  dashboard: z.looseObject({ title: z.string(), uid: z.string().nullish() }),
  folderUid: z.string().nullable(),
  /** Provisioned from the rendered files: restored with them, not over the API. */
  provisioned: z.boolean(),
});
export type DashboardRecord = z.infer<typeof dashboardFileSchema>;

/** Parse and check manifest.json; the problem in words, or the manifest. */
export function parseManifest(text: string): { manifest: Manifest } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { problem: `manifest.json is not valid JSON (${(error as Error).message})` };
  }
  const header = z.object({ format: z.string(), formatVersion: z.number() }).safeParse(raw);
  if (!header.success || header.data.format !== FORMAT_NAME)
    return { problem: 'manifest.json does not describe a wmon backup' };
  if (header.data.formatVersion > FORMAT_VERSION) {
    return {
      problem: `the archive has format version ${header.data.formatVersion}; this wmon reads version ${FORMAT_VERSION} and older (upgrade wmon to restore it)`,
    };
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { problem: `manifest.json is malformed: ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  return { manifest: parsed.data };
}
