/**
 * Stand-ins for Prometheus and Alertmanager in operation tests on the in-memory engine: they keep state in
 * memory and act on the engine's files where the real server would (a TSDB snapshot is a copy of the data
 * folder inside the volume). Only the methods operations call are there; the real clients are tested
 * against real servers (test/adapters/clients/*.integration.test.ts).
 */
import { randomBytes } from 'node:crypto';

import type {
  AlertmanagerClient,
  NewSilence,
  PrometheusClient,
  QueryResult,
  Silence,
} from '../../../src/adapters/clients/index.js';
import type { MemoryRuntime } from '../../../src/adapters/runtime/memory-runtime.js';

export interface FakeAlertmanager {
  readonly silences: Silence[];
  client(): AlertmanagerClient;
  /** Change what Alertmanager keeps of the silences it is sent from now on. */
  onCreate(edit: (silence: Silence) => Silence): void;
}

export function fakeAlertmanager(): FakeAlertmanager {
  const silences: Silence[] = [];
  let edit = (silence: Silence) => silence;
  const api = {
    async silences() {
      const now = Date.now();
      return silences.map((s) => ({
        ...s,
        state: new Date(s.endsAt).getTime() <= now ? ('expired' as const) : s.state,
      }));
    },
    async createSilence(s: NewSilence) {
      const id = s.id ?? randomBytes(8).toString('hex');
      const startsAt = new Date(s.startsAt ?? Date.now()).toISOString();
      silences.push(
        edit({
          id,
          state: 'active',
          matchers: [...s.matchers],
          startsAt,
          endsAt: new Date(s.endsAt).toISOString(),
          updatedAt: startsAt,
          createdBy: s.createdBy,
          comment: s.comment,
        }),
      );
      return id;
    },
    async deleteSilence(id: string) {
      const s = silences.find((x) => x.id === id);
      if (s) Object.assign(s, { state: 'expired', endsAt: new Date().toISOString() });
    },
    async ready() {
      return true;
    },
    async reload() {},
  };
  return { silences, client: () => api as unknown as AlertmanagerClient, onCreate: (e) => void (edit = e) };
}

export interface FakePrometheus {
  /** What each instant query answers: query → series (metric labels and value). */
  readonly answers: Map<string, Array<{ metric: Record<string, string>; value: number }>>;
  readonly reloads: number[];
  client(): PrometheusClient;
}

/** Prometheus of `container` on `runtime`: its data folder is `/prometheus` in that container. */
export function fakePrometheus(runtime: MemoryRuntime, container: () => string): FakePrometheus {
  const answers = new Map<string, Array<{ metric: Record<string, string>; value: number }>>([
    ['up', [{ metric: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, value: 1 }]],
    [
      'scrape_samples_scraped',
      [{ metric: { __name__: 'scrape_samples_scraped', job: 'prometheus', instance: 'localhost:9090' }, value: 412 }],
    ],
  ]);
  const reloads: number[] = [];
  const api = {
    async buildInfo() {
      return { version: '3.5.0', revision: 'fake', branch: 'HEAD', goVersion: 'go1.24' };
    },
    async query(expr: string, opts: { time?: number | Date } = {}): Promise<QueryResult> {
      const time = typeof opts.time === 'number' ? opts.time : Date.now() / 1000;
      return {
        resultType: 'vector',
        result: (answers.get(expr) ?? []).map((s) => ({ metric: s.metric, sample: { time, value: s.value } })),
      };
    },
    /** As Prometheus does: copy every block (not the WAL, not older snapshots) into snapshots/<name>/. */
    async snapshot() {
      const files = runtime.files(container());
      const name = `20250101T000000Z-${randomBytes(4).toString('hex')}`;
      for (const entry of await files.readdir('/prometheus')) {
        if (['snapshots', 'wal', 'chunks_head', 'lock', 'queries.active'].includes(entry)) continue;
        for (const rel of await files.list(`/prometheus/${entry}`)) {
          const from = `/prometheus/${entry}/${rel}`;
          if ((await files.stat(from))?.kind === 'file')
            await files.writeFile(`/prometheus/snapshots/${name}/${entry}/${rel}`, await files.readFile(from));
        }
      }
      return name;
    },
    async reload() {
      reloads.push(Date.now());
    },
    async ready() {
      return true;
    },
  };
  return { answers, reloads, client: () => api as unknown as PrometheusClient };
}

/**
 * The shell commands wmon's data copy runs in its helper container (features/archive/prometheus-data.ts),
 * done on the in-memory engine's files. The end-to-end suite runs the real ones in a real container.
 */
export function handlePrometheusDataShell(runtime: MemoryRuntime): void {
  runtime.handleExec(['rm', '-rf'], async ({ cmd, files }) => {
    await files.rm(cmd[2]!, { recursive: true, force: true });
    return {};
  });
  runtime.handleExec(['/bin/sh', '-c'], async ({ cmd, files }) => {
    const [script, , ...args] = cmd.slice(2) as [string, string, ...string[]];
    const [a1, a2] = args;
    if (script.startsWith('stat -c %u:%g')) return { stdout: '65534:65534\n1048576\n' };
    // The in-memory engine keeps no owners: a volume's files are said to be its component's user's.
    if (script.startsWith('f=$(find "$1" -type f')) return { stdout: '10001:10001\n' };
    if (script.startsWith('rm -rf "$1" && mkdir "$1"')) {
      await files.rm(a1!, { recursive: true, force: true });
      await files.mkdir(a1!);
      return {};
    }
    if (script.startsWith('find "$1" -type f')) {
      let count = 0;
      let size = 0;
      for (const rel of await files.list(a1!)) {
        const st = await files.stat(`${a1}/${rel}`);
        if (st?.kind === 'file') {
          count += 1;
          size += st.size;
        }
      }
      return { stdout: `${count} ${size}\n` };
    }
    if (script.includes('new=".wmon-restore-$2"')) {
      const dir = a1!;
      const incoming = `.wmon-restore-${a2}`;
      const old = `.wmon-old-${a2}`;
      await files.mkdir(`${dir}/${old}`);
      for (const e of await files.readdir(dir))
        if (e !== incoming && e !== old) await files.rename(`${dir}/${e}`, `${dir}/${old}/${e}`);
      for (const e of await files.readdir(`${dir}/${incoming}`))
        await files.rename(`${dir}/${incoming}/${e}`, `${dir}/${e}`);
      await files.rm(`${dir}/${incoming}`, { recursive: true });
      await files.rm(`${dir}/${old}`, { recursive: true });
      return {};
    }
    if (script === 'rm -rf "$1"') {
      await files.rm(a1!, { recursive: true, force: true });
      return {};
    }
    return { exitCode: 127, stderr: `no stand-in for: ${script.split('\n')[0]}` };
  });
}
