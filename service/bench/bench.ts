/**
 * npm run bench -w service [-- --duration 5 --rounds 3 --connections 50 --half-duration 8 --sqlite-synchronous FULL]
 *                           [--profile DIR]   (V8 CPU profiles of b; summarise with bench/profile-summary)
 *
 * Drives signed Stripe events (~5 KB, as Stripe sends them) with autocannon, on loopback, against
 *   (a) a bare node:http server that only verifies the signature and answers 200 (bench/baseline-server),
 *   (c) the same plus JSON.parse, (d) the simplest durable receiver: parse, insert, group commit per
 *       event-loop turn on its main thread, answer (bench/baseline-server too),
 *   (e) what a team following Stripe's documentation writes, made durable: Express, express.raw,
 *       stripe.webhooks.constructEvent, one better-sqlite3 insert per request (bench/express-peer),
 *   (b) this service with SQLite durable storage (defaults; rate limits off).
 * Fairly: the server (all its threads) is pinned to core 0 and this process, the load generator, to core 1
 * (taskset), so the two never compete; where pinning is impossible it says so and runs unpinned.
 * The servers alternate for a few rounds (medians of the rounds' ratios), then a and b run again at half of
 * b's own maximum, comparing p99. Every request to b, d and e carries a new event id, so each is a real
 * durable insert. It prints each target of the service README as a ratio measured in this run, with PASS or
 * MISSED. Stops by itself: every run is time-bounded and the whole script has a deadline.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { REPLICA_LABEL, ROUTES, SERVICE_METRICS, type ProcessingOutcome, type QueueState } from '@wmon/contract';
import autocannon from 'autocannon';
import { loadFixtures } from '../src/send.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    'half-duration': { type: 'string', default: '8' },
    'sqlite-synchronous': { type: 'string', default: 'FULL' },
    /** Write V8 CPU profiles of b (its main thread and its database thread) into this folder. */
    profile: { type: 'string' },
  },
});
const DURATION = Number(args.duration);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const HALF_DURATION = Number(args['half-duration']);
const SECRET = 'whsec_bench_' + 'x'.repeat(24);
const HERE = dirname(fileURLToPath(import.meta.url));
const DEADLINE_MS = 10 * 60_000;

/**
 * Server on core 0, load generator (this process, all its threads) on core 1, with taskset (util-linux).
 * `server` is the command prefix that starts a server pinned.
 */
function pinning(): { readonly server: readonly string[]; readonly note: string } {
  if (os.cpus().length < 2)
    return {
      server: [],
      note: 'warning: fewer than 2 cores, so the server and the load generator share them (unpinned)',
    };
  try {
    execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  } catch {
    return {
      server: [],
      note: 'warning: taskset (util-linux) cannot pin here, so the server and the load generator compete for the cores',
    };
  }
  return {
    server: ['taskset', '-c', '0'],
    note: 'server (all its threads) pinned to core 0, load generator (this process) to core 1, with taskset',
  };
}
const PIN = pinning();

const children = new Set<ChildProcess>();
const tmp = mkdtempSync(join(os.tmpdir(), 'wmon-bench-'));
function cleanup(): void {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
const deadline = setTimeout(() => {
  console.error(`bench: gave up after ${DEADLINE_MS / 60_000} minutes`);
  cleanup();
  process.exit(2);
}, DEADLINE_MS);
deadline.unref();
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

// ---- payloads: the example events, pretty-printed as Stripe sends them; each request gets a fresh event
// id and object id, and one of 1000 customers; signed ahead of time ------------------------------------
const templates = [...loadFixtures().values()].filter((e) => e.type !== 'plan.created');
const CUSTOMERS = 1000;
const parts = templates.map((t) => {
  const text = JSON.stringify(
    {
      ...t,
      id: 'evt_MARKER',
      data: { ...t.data, object: { ...t.data.object, id: 'obj_MARKER', customer: 'cus_MARKER' } },
    },
    null,
    2,
  );
  return text.split(/(evt_MARKER|obj_MARKER|cus_MARKER)/);
});
let idCounter = 0;
const runTag = Date.now().toString(36);
function render(i: number): string {
  const n = (idCounter++).toString(36).padStart(8, '0');
  const fill: Record<string, string> = {
    evt_MARKER: `evt_b${runTag}${n}`,
    obj_MARKER: `obj_b${runTag}${n}`,
    cus_MARKER: `cus_bench${i % CUSTOMERS}`,
  };
  return parts[i % parts.length]!.map((p) => fill[p] ?? p).join('');
}

interface Signed {
  readonly body: string;
  readonly header: string;
}
function signedPool(n: number): Signed[] {
  const t = Math.floor(Date.now() / 1000);
  const pool: Signed[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const body = render(i);
    const sig = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
    pool[i] = { body, header: `t=${t},v1=${sig}` };
  }
  return pool;
}
const sizes = parts.map((_, i) => render(i).length);
const avgKb = sizes.reduce((a, b) => a + b, 0) / sizes.length / 1024;

// ---- servers ---------------------------------------------------------------------------------------
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Target {
  readonly name: string;
  readonly url: string;
  /** The service's internal listener (metrics, readiness); the baselines have none. */
  readonly internalUrl: string;
  /** CPU time (ms) the server process has used so far, all threads; NaN where /proc is not available. */
  cpuMs(): number;
  /** The most memory the server process has held so far (VmHWM, MB); NaN where /proc is not available. */
  peakRssMb(): number;
  stop(): Promise<void>;
  queue?(): Promise<string>;
  /** What the main thread holds now (V8 heap, memory outside it such as buffers), as the service reports it. */
  memory?(): Promise<string>;
  drained?(timeoutMs: number): Promise<boolean>;
}

const CLK_TCK = 100;
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime + stime, all threads
  } catch {
    return NaN;
  }
}

function peakRssMb(pid: number | undefined): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    return Number(line?.split(/\s+/)[1]) / 1024;
  } catch {
    return NaN;
  }
}

async function waitHealthy(url: string, proc: ChildProcess): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not come up`);
}

async function launch(
  name: string,
  script: string,
  argv: string[],
  env: Record<string, string>,
  probe: string,
  /** The probe is on the internal listener (METRICS_PORT: metrics and readiness), not the public one. */
  probeInternal = false,
  nodeOptions: readonly string[] = [],
): Promise<Target> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const command = [
    ...PIN.server,
    process.execPath,
    ...nodeOptions,
    join(HERE, script),
    ...argv.map((a) => a.replace('{port}', String(port))),
  ];
  // taskset execs node, so the child's pid is the server's (its CPU time and memory are read by pid).
  const proc = spawn(command[0]!, command.slice(1), {
    env: { PATH: process.env.PATH, ...env, PORT: String(port), METRICS_PORT: String(metricsPort) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(proc);
  const url = `http://127.0.0.1:${port}`;
  const internalUrl = `http://127.0.0.1:${metricsPort}`;
  await waitHealthy((probeInternal ? internalUrl : url) + probe, proc);
  return {
    name,
    url,
    internalUrl,
    cpuMs: () => processCpuMs(proc.pid),
    peakRssMb: () => peakRssMb(proc.pid),
    stop: async () => {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      children.delete(proc);
    },
  };
}

const baseline = () => launch('a baseline', 'baseline-server.js', ['{port}', SECRET], {}, '/');
const parseFloor = () => launch('c floor: + parse', 'baseline-server.js', ['{port}', SECRET, 'parse'], {}, '/');
const durableFloor = () =>
  launch(
    'd floor: + durable',
    'baseline-server.js',
    ['{port}', SECRET, 'durable', join(tmp, `floor-${Date.now()}.db`)],
    {},
    '/',
  );
const expressPeer = () =>
  launch('e Express peer', 'express-peer.js', ['{port}', SECRET, join(tmp, `peer-${Date.now()}.db`)], {}, '/');
async function service(): Promise<Target> {
  const db = join(tmp, `webhooks-${Date.now()}.db`);
  const t = await launch(
    'b service',
    '../src/main.js',
    [],
    {
      STRIPE_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${db}`,
      SQLITE_SYNCHRONOUS: args['sqlite-synchronous'],
      RATE_LIMIT_PER_CLIENT: '0',
      RATE_LIMIT_GLOBAL: '0',
      LOG_LEVEL: 'info',
    },
    ROUTES.ready,
    true,
    args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [],
  );
  const scrape = async () => (await fetch(`${t.internalUrl}${ROUTES.metrics}`)).text();
  // A sample's value by its name and labels; the service_replica label every series carries is not compared.
  const value = (text: string, line: string) => {
    const wanted = line.replace(/}$/, '');
    const sample = text
      .split('\n')
      .map((l) => l.replace(new RegExp(`,?${REPLICA_LABEL}="[^"]*"`), '').replace('{,', '{'))
      .find((l) => l.startsWith(`${wanted}} `));
    return Number(sample?.slice(wanted.length + 2) ?? NaN);
  };
  const queued = (text: string, state: QueueState) =>
    value(text, `${SERVICE_METRICS.queueSize.name}{state="${state}"}`);
  const processed = (text: string, outcome: ProcessingOutcome) =>
    value(text, `${SERVICE_METRICS.eventsProcessed.name}{outcome="${outcome}",source="external"}`);
  return {
    ...t,
    queue: async () => {
      const text = await scrape();
      return `pending ${queued(text, 'pending')}, processed ${processed(text, 'success')}`;
    },
    memory: async () => {
      const text = await scrape();
      const mb = (kind: string) =>
        (value(text, `${SERVICE_METRICS.memoryUsage.name}{kind="${kind}"}`) / 2 ** 20).toFixed(0);
      return `main thread now: heap ${mb('heap_total')} MB, external ${mb('external')} MB, RSS ${mb('rss')} MB`;
    },
    drained: async (timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const text = await scrape();
        const pending = queued(text, 'pending');
        const processing = queued(text, 'processing');
        if (pending === 0 && processing === 0) return true;
        await new Promise((r) => setTimeout(r, 200));
      }
      return false;
    },
  };
}

// ---- load ------------------------------------------------------------------------------------------
interface Result {
  readonly name: string;
  /** Server CPU per request during the run (µs). */
  readonly cpuUs: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly reused: number;
  /** The server's peak resident memory (VmHWM) so far, all its threads (MB). */
  readonly rssMb?: number;
}

async function drive(target: Target, pool: Signed[], seconds: number, rate?: number): Promise<Result> {
  let next = 0;
  const cpu0 = target.cpuMs();
  const r = await autocannon({
    url: `${target.url}${ROUTES.webhook}`,
    connections: CONNECTIONS,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const s = pool[next++ % pool.length]!;
          return {
            ...req,
            body: s.body,
            headers: { 'content-type': 'application/json', 'stripe-signature': s.header },
          };
        },
      },
    ],
  });
  return {
    name: target.name,
    cpuUs: ((target.cpuMs() - cpu0) * 1000) / Math.max(1, r.requests.total),
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    reused: Math.max(0, next - pool.length),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (r: Result) =>
  `  ${r.name.padEnd(24)} ${r.rps.toFixed(0).padStart(8)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${String(r.non2xx + r.errors).padStart(9)} ${r.cpuUs.toFixed(0).padStart(9)}${(r.rssMb?.toFixed(0) ?? '').padStart(8)}${r.reused ? `  (pool reused ${r.reused}×: duplicates!)` : ''}`;
const HEADER = `  ${'run'.padEnd(24)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'not 2xx'.padStart(9)} ${'cpu µs/req'.padStart(9)}${'RSS MB'.padStart(8)}`;

/** PASS or MISSED, with the figure and the target, for the summary. */
const verdict = (ok: boolean, figure: string, target: string) =>
  `${ok ? 'PASS  ' : 'MISSED'} ${figure} (target ${target})`;

async function main(): Promise<void> {
  console.log(
    `wmon webhook benchmark: ${os.cpus().length} cores, Node ${process.version}, ${templates.length} example event types (avg ${avgKb.toFixed(1)} KB), ` +
      `${CONNECTIONS} connections, ${DURATION} s per run, ${ROUNDS} rounds, loopback; service with SQLITE_SYNCHRONOUS=${args['sqlite-synchronous']}`,
  );
  console.log(PIN.note);
  console.log(
    '\nmaximum throughput (a, c, d, e and b in turn; b, d and e get a fresh SQLite file and unique event ids)',
  );
  console.log(HEADER);
  const as: Result[] = [];
  const bs: Result[] = [];
  const cs: Result[] = [];
  const ds: Result[] = [];
  const es: Result[] = [];
  const drains: number[] = [];
  const drainCpuUs: number[] = [];
  const rss: number[] = [];
  let warmPool = signedPool(20_000);
  /**
   * A warm-up second, then the measured run. `fresh` targets store events, so they get a pool of ids never
   * sent before, sized for `expectedRps` (the others reuse warmPool). `rate` caps the offered load.
   */
  async function measure(
    t: Target,
    fresh: boolean,
    seconds: number,
    expectedRps: number,
    rate?: number,
  ): Promise<Result> {
    const pool = fresh ? signedPool(Math.ceil(Math.max(expectedRps, 2000) * (seconds + 1) * 1.6) + 1000) : warmPool;
    // Warm-up: a second's worth of ids of their own (a smaller pool would send some twice), not reused below.
    await drive(t, fresh ? pool.splice(0, Math.ceil(Math.max(expectedRps, 2000) * 1.6)) : pool, 1, rate);
    return drive(t, pool, seconds, rate);
  }
  /** One maximum-throughput run of a server that needs nothing but its result. */
  async function maxRun(start: () => Promise<Target>, label: string, fresh: boolean, atLeast: number): Promise<Result> {
    const t = await start();
    const r = await measure(t, fresh, DURATION, atLeast);
    const out = { ...r, name: label, reused: fresh ? r.reused : 0, rssMb: t.peakRssMb() };
    await t.stop();
    console.log(fmt(out));
    return out;
  }
  for (let round = 1; round <= ROUNDS; round++) {
    const ra = await maxRun(baseline, `a baseline (round ${round})`, false, 0);
    as.push(ra);
    cs.push(await maxRun(parseFloor, `c floor: +parse (${round})`, false, 0));
    ds.push(await maxRun(durableFloor, `d floor: +store (${round})`, true, ra.rps));
    es.push(await maxRun(expressPeer, `e Express peer (${round})`, true, ra.rps));

    const b = await service();
    const rb = await measure(b, true, DURATION, ra.rps);
    const queued = await b.queue!();
    const cpuBeforeDrain = b.cpuMs();
    const drainStart = performance.now();
    const drained = await b.drained!(60_000);
    const drainS = (performance.now() - drainStart) / 1000;
    drains.push(drained ? drainS : Infinity);
    drainCpuUs.push(((b.cpuMs() - cpuBeforeDrain) * 1000) / rb.total);
    rss.push(b.peakRssMb());
    const memoryNote = await b.memory!();
    const drainNote = drained
      ? `backlog drained in ${drainS.toFixed(1)} s, ${drainCpuUs.at(-1)!.toFixed(0)} µs CPU/event more`
      : 'backlog not drained within 60 s';
    console.log(
      fmt({ ...rb, name: `b service  (round ${round})`, rssMb: rss.at(-1) }) +
        `  [at end: ${queued}; ${drainNote}; peak RSS ${rss.at(-1)!.toFixed(0)} MB; ${memoryNote}]`,
    );
    bs.push({ ...rb, name: `b service  (round ${round})` });
    await b.stop();
    warmPool = signedPool(20_000);
  }
  // Ratios are taken within each round (its runs follow each other), then the median over rounds: a
  // shared machine drifts between rounds more than within one.
  const perRound = (xs: Result[], over: Result[], key: 'rps' | 'cpuUs' = 'rps') =>
    median(xs.map((r, i) => r[key] / over[i]![key]));
  const med = (xs: Result[], key: 'rps' | 'cpuUs' | 'p50' | 'p99') => median(xs.map((r) => r[key]));
  console.log('\n  medians over the rounds:');
  for (const [name, xs] of [
    ['a baseline', as],
    ['c +parse', cs],
    ['d +store', ds],
    ['e Express peer', es],
    ['b service', bs],
  ] as const) {
    console.log(
      `    ${name.padEnd(15)} ${med(xs, 'rps').toFixed(0).padStart(7)} req/s, p50/p99 ${med(xs, 'p50').toFixed(1)}/${med(xs, 'p99').toFixed(1)} ms, ${med(xs, 'cpuUs').toFixed(0)} µs server CPU per request`,
    );
  }
  console.log(
    `    what the machine allows: c/a ${perRound(cs, as).toFixed(2)}, d/a ${perRound(ds, as).toFixed(2)} (throughput); ` +
      `b drains its backlog with ${median(drainCpuUs).toFixed(0)} µs CPU per event more`,
  );

  const bMax = med(bs, 'rps');
  const rate = Math.floor(bMax / 2);
  console.log(`\nsame offered rate, half of b's maximum: ${rate} req/s for ${HALF_DURATION} s`);
  console.log(HEADER);
  const a = await baseline();
  const ha = await measure(a, false, HALF_DURATION, rate, rate);
  await a.stop();
  console.log(fmt({ ...ha, name: 'a baseline (half load)', reused: 0 }));
  const b = await service();
  const hb = await measure(b, true, HALF_DURATION, rate, rate);
  console.log(fmt({ ...hb, name: 'b service  (half load)' }) + `  [after load: ${await b.queue!()}]`);
  await b.stop();
  // Below the offered rate, a p99 measures a growing queue, not the server.
  const keptUp = (r: Result) => r.rps >= rate * 0.97;

  const cpuRatio = perRound(bs, ds, 'cpuUs');
  const bd = perRound(bs, ds);
  const be = perRound(bs, es);
  const p99Ratio = hb.p99 / ha.p99;
  const drain = median(drains);
  const peak = Math.max(...rss);
  console.log('\ntargets (service/README.md), each a ratio measured in this run:');
  console.log(
    `  1  ${verdict(cpuRatio <= 1.5, `CPU per accepted durable event b/d = ${cpuRatio.toFixed(2)}`, '<= 1.5')}`,
  );
  console.log(`  2  ${verdict(bd >= 1.2, `throughput b/d = ${bd.toFixed(2)}`, '>= 1.2')}`);
  console.log(`  2  ${verdict(be >= 5, `throughput b/e (Express peer) = ${be.toFixed(2)}`, '>= 5')}`);
  console.log(
    `  3  ${
      !keptUp(ha)
        ? `NOT MEASURED: a served only ${ha.rps.toFixed(0)} of ${rate} req/s, the machine is too busy; run again`
        : !keptUp(hb)
          ? `MISSED b served ${hb.rps.toFixed(0)} of ${rate} req/s at half of its own maximum (target: keep up, p99 b/a <= 2)`
          : verdict(
              p99Ratio <= 2,
              `p99 at half of b's maximum b/a = ${p99Ratio.toFixed(2)} (${hb.p99.toFixed(1)} / ${ha.p99.toFixed(1)} ms)`,
              '<= 2',
            )
    }`,
  );
  console.log(
    `  4  ${verdict(drain <= 2, `backlog drained after b's maximum in ${drain.toFixed(1)} s (median)`, '<= 2 s')}`,
  );
  console.log(`  4  ${verdict(peak < 200, `b's peak RSS ${peak.toFixed(0)} MB`, '< 200 MB')}`);
  // The baseline and the parse floor may reuse their pool (they store nothing); the others must not.
  const bad = [...as, ...bs, ...cs, ...ds, ...es, { ...ha, reused: 0 }, hb].filter(
    (r) => r.non2xx + r.errors > 0 || r.reused > 0,
  );
  if (bad.length)
    console.log(`\nwarning: ${bad.length} run(s) had non-2xx answers, errors or reused ids: see the table`);
}

try {
  await main();
} finally {
  cleanup();
}
