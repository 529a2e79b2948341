/**
 * Backup throughput: wmon's archive writer (and, with --engine, the whole `wmon backup` of a running
 * Prometheus) against `tar czf` of the same Prometheus data, in one run.
 *
 *   npx tsx scripts/bench-backup.ts [--series 3000] [--hours 12] [--interval 15] [--size 512] [--rounds 3] [--engine] [--keep]
 *
 * The data: OpenMetrics samples shaped like a real scrape (request counters per route and status, latency
 * histograms, memory and CPU gauges with noise), turned into TSDB blocks by `promtool tsdb
 * create-blocks-from openmetrics` (Prometheus's own block writer; scripts/prom-tools.sh puts promtool in
 * .cache/bin), then, up to --size MiB, older copies of those blocks under new ids (real block bytes; what
 * a longer retention holds, without hours of generation on a small machine). Both sides compress with gzip at its default level, read the same files from the page
 * cache (a first untimed pass warms it), and write to the same disk; the rounds alternate between them.
 *
 * --engine also loads the blocks into a real Prometheus container (local image, a throw-away project)
 * and times `wmon backup` (snapshot over the admin API, copied out through the engine, streamed into the
 * archive): the number a user gets. Needs the engine, the local images and `npm run build`.
 *
 * Not a test: it prints figures (and the ratio to tar czf; the target is ≥ 0.8).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { openArchive } from '../src/features/archive/tar-writer.js';
import { TEST_IMAGES } from '../test/support/versions.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '3000' },
    hours: { type: 'string', default: '12' },
    size: { type: 'string', default: '512' },
    interval: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '3' },
    engine: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const SERIES = Number(args.series);
const HOURS = Number(args.hours);
const INTERVAL = Number(args.interval);
const ROUNDS = Number(args.rounds);
const TARGET = Number(args.size) * 1024 * 1024;

const MB = 1024 * 1024;
const mb = (n: number) => `${(n / MB).toFixed(1)} MiB`;

function promtool(): string {
  const local = path.join(repo, '.cache/bin/promtool');
  if (existsSync(local)) return local;
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  throw new Error('promtool not found: run scripts/prom-tools.sh first');
}

/** A small deterministic PRNG (mulberry32), so every run benchmarks the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SeriesState {
  readonly metric: string;
  readonly labels: string;
  readonly kind: 'counter' | 'bucket' | 'memory' | 'cpu';
  readonly rate: number;
  value: number;
}

const FAMILIES = {
  counter: { name: 'bench_http_requests', type: 'counter', sample: 'bench_http_requests_total' },
  bucket: {
    name: 'bench_request_duration_seconds',
    type: 'histogram',
    sample: 'bench_request_duration_seconds_bucket',
  },
  memory: { name: 'bench_memory_bytes', type: 'gauge', sample: 'bench_memory_bytes' },
  cpu: { name: 'bench_cpu_percent', type: 'gauge', sample: 'bench_cpu_percent' },
} as const;

/**
 * SERIES series shaped like a scrape (a quarter each: request counters, histogram buckets, memory gauges
 * as a random walk, CPU gauges with noise), one sample every INTERVAL seconds for HOURS hours, ending an
 * hour ago. Written and turned into blocks two hours at a time, so the OpenMetrics text stays small.
 */
async function generate(dir: string, tool: string): Promise<number> {
  const random = rng(42);
  const routes = ['/webhooks/stripe', '/healthz', '/readyz', '/metrics', '/api/events', '/api/customers'];
  const statuses = ['200', '400', '404', '429', '500'];
  const buckets = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  const series: SeriesState[] = [];
  for (const kind of ['counter', 'bucket', 'memory', 'cpu'] as const) {
    for (let i = 0; i < Math.floor(SERIES / 4); i++) {
      // 30 label combinations per instance for counters and buckets: every series is distinct.
      const instance = `host-${Math.floor(i / 30)}:8080`;
      const labels =
        kind === 'counter'
          ? `{instance="${instance}",route="${routes[i % routes.length]}",status="${statuses[Math.floor(i / routes.length) % statuses.length]}"}`
          : kind === 'bucket'
            ? `{instance="${instance}",route="${routes[i % routes.length]}",le="${buckets[i % buckets.length]}"}`
            : `{instance="${instance}",id="${i}"}`;
      series.push({
        metric: FAMILIES[kind].sample,
        labels,
        kind,
        rate: 1 + random() * 50,
        value: kind === 'memory' ? 2e8 + random() * 3e8 : 0,
      });
    }
  }
  const end = Math.floor(Date.now() / 1000 / 3600) * 3600 - 3600;
  const start = end - HOURS * 3600;
  const window = 2 * 3600;
  let samples = 0;
  for (let from = start; from < end; from += window) {
    const file = path.join(dir, 'window.om');
    const out = createWriteStream(file, { highWaterMark: 4 * MB });
    let chunk: string[] = [];
    const flush = async (force = false) => {
      if (!force && chunk.length < 20_000) return;
      if (!out.write(chunk.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = [];
    };
    for (const kind of ['counter', 'bucket', 'memory', 'cpu'] as const) {
      chunk.push(`# TYPE ${FAMILIES[kind].name} ${FAMILIES[kind].type}\n`);
      for (const s of series) {
        if (s.kind !== kind) continue;
        for (let t = from, step = 0; t < Math.min(from + window, end); t += INTERVAL, step++) {
          if (kind === 'counter' || kind === 'bucket') s.value += Math.floor(s.rate * INTERVAL * (0.5 + random()));
          else if (kind === 'memory') s.value = Math.round(Math.max(1e8, s.value + (random() - 0.5) * 4e6));
          else s.value = Math.round((20 + 30 * Math.sin(t / 3600 + s.rate) + random() * 10) * 1000) / 1000;
          chunk.push(`${s.metric}${s.labels} ${s.value} ${t}\n`);
          samples += 1;
          await flush();
        }
      }
    }
    chunk.push('# EOF\n');
    await flush(true);
    out.end();
    await new Promise<void>((r) => out.once('finish', () => r()));
    execFileSync(tool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, path.join(dir, 'prometheus')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await rm(file);
  }
  return samples;
}

/** A new block id (ULID: 48-bit time, 80 random bits, Crockford base32). */
function ulid(ms: number): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let time = '';
  for (let i = 0, t = ms; i < 10; i++, t = Math.floor(t / 32)) time = alphabet[t % 32] + time;
  let rest = '';
  for (let i = 0; i < 16; i++) rest += alphabet[Math.floor(Math.random() * 32)];
  return time + rest;
}

/**
 * Fill the data folder up to `target` bytes with copies of the generated blocks, each under a new id and
 * moved back in time by whole spans (meta.json rewritten): older data, as a long retention holds. Their
 * bytes are real TSDB blocks, which is what the compression and the copying see.
 */
async function fill(data: string, target: number): Promise<number> {
  const originals = (await readdir(data)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort();
  const metas = await Promise.all(
    originals.map(
      async (b) =>
        JSON.parse(await readFile(path.join(data, b, 'meta.json'), 'utf8')) as {
          ulid: string;
          minTime: number;
          maxTime: number;
        },
    ),
  );
  const span = Math.max(...metas.map((m) => m.maxTime)) - Math.min(...metas.map((m) => m.minTime));
  let size = await dirBytes(data);
  const perCopy = size;
  let copies = 0;
  while (size + perCopy <= target) {
    copies += 1;
    for (const [i, b] of originals.entries()) {
      const m = metas[i]!;
      const minTime = m.minTime - copies * span;
      const id = ulid(minTime);
      await cp(path.join(data, b), path.join(data, id), { recursive: true });
      await writeFile(
        path.join(data, id, 'meta.json'),
        JSON.stringify({
          ...m,
          ulid: id,
          minTime,
          maxTime: m.maxTime - copies * span,
          compaction: { level: 1, sources: [id] },
        }),
      );
    }
    size += perCopy;
  }
  return copies;
}

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await walk(dir)) total += (await stat(path.join(dir, f))).size;
  return total;
}

/** wmon's archive writer on a local folder: the same code `wmon backup` streams the snapshot through. */
async function wmonWriter(dataDir: string, file: string): Promise<number> {
  const started = process.hrtime.bigint();
  const w = await openArchive(file);
  for (const f of await walk(dataDir)) await w.tar.addFile(`prometheus/data/${f}`, path.join(dataDir, f));
  await w.finish({ path: 'manifest.json', data: Buffer.from(JSON.stringify({ files: w.tar.files })) });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function tarCzf(dataDir: string, file: string): number {
  const started = process.hrtime.bigint();
  execFileSync('tar', ['czf', file, '-C', dataDir, '.']);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'wmon-bench-'));
  try {
    console.log(`Generating ${SERIES} series × ${HOURS} h at ${INTERVAL} s with promtool …`);
    const data = path.join(work, 'prometheus');
    let t = Date.now();
    const samples = await generate(work, promtool());
    const generated = await dirBytes(data);
    console.log(
      `  ${(samples / 1e6).toFixed(1)} M samples → ${(await readdir(data)).length} blocks, ${mb(generated)} (${((Date.now() - t) / 1000).toFixed(1)} s)`,
    );
    t = Date.now();
    const copies = await fill(data, TARGET);
    const bytes = await dirBytes(data);
    const files = (await walk(data)).length;
    const blocks = (await readdir(data)).length;
    if (copies > 0)
      console.log(
        `  filled to ${mb(bytes)} with ${copies} older copies of those blocks (${((Date.now() - t) / 1000).toFixed(1)} s)`,
      );
    console.log(`  data folder: ${blocks} blocks, ${files} files, ${mb(bytes)}`);

    // Warm the page cache for both sides, untimed.
    tarCzf(data, path.join(work, 'warm.tar.gz'));
    await rm(path.join(work, 'warm.tar.gz'));

    const wmonTimes: number[] = [];
    const tarTimes: number[] = [];
    let wmonSize = 0;
    let tarSize = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const a = path.join(work, `wmon-${round}.tar.gz`);
      const b = path.join(work, `tar-${round}.tar.gz`);
      // Alternate who goes first, so neither always meets a warmer disk.
      if (round % 2 === 1) {
        wmonTimes.push(await wmonWriter(data, a));
        tarTimes.push(tarCzf(data, b));
      } else {
        tarTimes.push(tarCzf(data, b));
        wmonTimes.push(await wmonWriter(data, a));
      }
      wmonSize = (await stat(a)).size;
      tarSize = (await stat(b)).size;
      await rm(a);
      await rm(b);
      console.log(
        `  round ${round}: wmon ${(bytes / MB / wmonTimes.at(-1)!).toFixed(1)} MiB/s, tar czf ${(bytes / MB / tarTimes.at(-1)!).toFixed(1)} MiB/s`,
      );
    }
    const wmonRate = bytes / MB / median(wmonTimes);
    const tarRate = bytes / MB / median(tarTimes);
    console.log('');
    console.log(`Data: ${mb(bytes)} in ${files} files (${blocks} blocks); ${ROUNDS} rounds, medians:`);
    console.log(
      `  wmon archive writer   ${median(wmonTimes).toFixed(2)} s  ${wmonRate.toFixed(1)} MiB/s  → ${mb(wmonSize)}`,
    );
    console.log(
      `  tar czf               ${median(tarTimes).toFixed(2)} s  ${tarRate.toFixed(1)} MiB/s  → ${mb(tarSize)}`,
    );
    console.log(`  ratio wmon / tar czf  ${(wmonRate / tarRate).toFixed(2)}  (target ≥ 0.80)`);

    if (args.engine) await engineBench(work, data, bytes, tarRate);
  } finally {
    if (args.keep) console.log(`Kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

/** The whole `wmon backup` of a running Prometheus holding the same blocks. */
async function engineBench(work: string, data: string, bytes: number, tarRate: number): Promise<void> {
  const { connectRuntime, LABELS } = await import('../src/adapters/runtime/index.js');
  const runtime = await connectRuntime();
  const project = `bench${Date.now().toString(36).slice(-5)}`;
  const dir = path.join(work, 'project');
  const port = 20000 + Math.floor(Math.random() * 20000);
  await execFileSync('mkdir', ['-p', dir]);
  await writeFile(
    path.join(dir, 'wmon.yaml'),
    `project: ${project}\npullPolicy: never\nprometheus:\n  retention: {time: 30d}\ncomponents:\n  prometheus: {image: ${TEST_IMAGES.prometheus}, port: ${port}, memory: 2g}\n` +
      '  alertmanager: {enabled: false}\n  nodeExporter: {enabled: false}\n  webhook: {enabled: false}\n  grafana: {enabled: false}\n  loki: {enabled: false}\n  jaeger: {enabled: false}\n  blackboxExporter: {enabled: false}\n',
  );
  const cli = (...a: string[]) => {
    const r = spawnSync('node', [path.join(repo, 'bin/run.js'), ...a], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    if (r.status !== 0) throw new Error(`wmon ${a.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  try {
    console.log('');
    console.log(`Loading the blocks into a Prometheus container (project ${project}) …`);
    cli('init', '--json');
    const container = `${project}-prometheus`;
    await runtime.stopContainer(container, 30);
    // Into the volume through a stopped container (the engine extracts into the mounted volume).
    const { create } = await import('tar');
    const entries = await readdir(data);
    await runtime.putArchive(
      container,
      '/prometheus',
      create({ cwd: data, portable: true }, entries) as unknown as NodeJS.ReadableStream as never,
    );
    await runtime.startContainer(container);
    // Owned by Prometheus's user, as its own files are (a snapshot hard-links them).
    const owner = (await runtime.exec(container, ['stat', '-c', '%u:%g', '/prometheus'])).stdout.trim();
    await runtime.exec(container, ['chown', '-R', owner, '/prometheus'], { user: '0' });
    cli('init', '--json'); // waits until ready (the blocks are loaded)
    const rounds: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const started = process.hrtime.bigint();
      const out = JSON.parse(cli('backup', '--output', path.join(work, 'backups'), '--json')) as {
        file: string;
        prometheus: { bytes: number };
      };
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      rounds.push(seconds);
      console.log(
        `  wmon backup round ${i + 1}: ${seconds.toFixed(2)} s for ${mb(out.prometheus.bytes)} of snapshot (${(out.prometheus.bytes / MB / seconds).toFixed(1)} MiB/s)`,
      );
      await rm(out.file);
      await new Promise((r) => setTimeout(r, 1100)); // one backup name per second
    }
    const rate = bytes / MB / median(rounds);
    console.log(
      `  wmon backup (snapshot, copy out of the container, archive; whole command) ${median(rounds).toFixed(2)} s  ${rate.toFixed(1)} MiB/s`,
    );
    console.log(`  ratio wmon backup / tar czf of the data folder  ${(rate / tarRate).toFixed(2)}`);
  } finally {
    for (const c of await runtime.listContainers({ [LABELS.project]: project }))
      await runtime.removeContainer(c.id, { force: true });
    for (const v of await runtime.listVolumes({ [LABELS.project]: project }))
      await runtime.removeVolume(v.name).catch(() => false);
    for (const n of await runtime.listNetworks({ [LABELS.project]: project }))
      await runtime.removeNetwork(n.name).catch(() => false);
  }
}

await main();
