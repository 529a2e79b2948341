/**
 * node dist/bench/profile-summary.js DIR [--top 25]
 *
 * Summarises the V8 CPU profiles (`*.cpuprofile`, written by `npm run bench -w service -- --profile DIR`,
 * one per thread) of the service under load: where its CPU time went, by area (this service's folders,
 * each dependency, Node's internals, the garbage collector) and by function, as shares of the busy time
 * (idle excluded). Self time only: a function's own samples, not its callees'.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const MAX_PROFILE_BYTES = 512 * 1024 * 1024;
const MAX_PROFILES = 64;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const dir = positionals[0];
if (!dir) {
  console.error('usage: profile-summary DIR [--top N]  (DIR: the folder given to the bench as --profile)');
  process.exit(2);
}

/** The area a frame's code belongs to: a folder of this service, a dependency, or Node/V8 itself. */
function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.match(/\/(?:src|contract)\/(.*)$/);
  if (src) return 'service: ' + src[1]!.split('/').slice(0, -1).join('/') || 'service';
  return url;
}

function describe(frame: CallFrame): string {
  const file = frame.url.split('/').slice(-2).join('/');
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
}

function add(map: Map<string, number>, key: string, us: number) {
  map.set(key, (map.get(key) ?? 0) + us);
}

const byArea = new Map<string, number>();
const byFunction = new Map<string, number>();
let busyUs = 0;
let idleUs = 0;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .slice(0, MAX_PROFILES);
for (const file of files) {
  const path = join(dir, file);
  if (statSync(path).size > MAX_PROFILE_BYTES) throw new Error(`${path} is larger than 512 MiB`);
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  let threadBusy = 0;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id);
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (!frame || frame.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    threadBusy += us;
    add(byArea, area(frame), us);
    add(byFunction, describe(frame), us);
  });
  busyUs += threadBusy;
  console.log(`${file}: ${(threadBusy / 1e6).toFixed(2)} s busy`);
}
if (busyUs === 0) {
  console.error(`no samples in ${dir} (no *.cpuprofile files, or only idle time)`);
  process.exit(1);
}

const top = Number(values.top);
function print(title: string, map: Map<string, number>) {
  console.log(
    `\n${title} (self time, share of ${(busyUs / 1e6).toFixed(2)} s busy; ${(idleUs / 1e6).toFixed(2)} s idle)`,
  );
  for (const [key, us] of [...map].sort((x, y) => y[1] - x[1]).slice(0, top)) {
    console.log(`${((100 * us) / busyUs).toFixed(1).padStart(5)} %  ${key}`);
  }
}
print('By area', byArea);
print('By function', byFunction);
