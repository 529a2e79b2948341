#!/usr/bin/env node
/**
 * How fast the CLI is for cron, against `node -e 0` (what starting Node alone costs on this machine), in one
 * run:
 *   - `wmon --version`: target at most 2.0× `node -e 0` (medians of --runs runs each);
 *   - `wmon check` on a healthy running stack: target at most 1.0 s wall (median of 5).
 *
 *   node scripts/bench-cli.mjs [--config path/to/wmon.yaml] [--runs 10]
 *
 * `wmon check` is timed only when --config names the wmon.yaml of a running stack (`wmon init` first); a
 * check that does not exit 0 is reported, not timed. Needs `npm run build` (it runs bin/run.js).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'run.js');
const { values: args } = parseArgs({
  options: { config: { type: 'string' }, runs: { type: 'string', default: '10' } },
});
const RUNS = Math.max(3, Math.min(100, Number(args.runs) || 10));

if (!existsSync(path.join(ROOT, 'dist', 'commands'))) {
  console.error('bench-cli: dist/ is missing: run `npm run build` first');
  process.exit(2);
}

/** Wall time of one run in ms, and its exit status. */
function time(argv, env = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: r.status, out: `${r.stdout}${r.stderr}` };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Alternate the commands run by run, so that a busy spell hits them alike; medians of each. */
function alternate(commands, runs) {
  const times = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    commands.forEach((c, k) => {
      const r = time(c.argv, c.env);
      if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}:\n${r.out.slice(-2000)}`);
      times[k].push(r.ms);
    });
  }
  return times.map(median);
}

const verdict = (ok, figure, target) => `${ok ? 'PASS  ' : 'MISSED'} ${figure} (target ${target})`;

console.log(`wmon CLI timing: Node ${process.version}, ${RUNS} runs each, medians, alternating`);
const [node, version] = alternate(
  [
    { name: 'node -e 0', argv: ['-e', '0'] },
    { name: 'wmon --version', argv: [BIN, '--version'] },
  ],
  RUNS,
);
console.log(`  node -e 0        ${node.toFixed(0).padStart(6)} ms`);
console.log(`  wmon --version   ${version.toFixed(0).padStart(6)} ms`);
console.log(
  `  ${verdict(version / node <= 2, `wmon --version / node -e 0 = ${(version / node).toFixed(2)}`, '<= 2.0')}`,
);

if (!args.config) {
  console.log('  wmon check: not timed (give --config with the wmon.yaml of a running stack)');
} else {
  const config = path.resolve(args.config);
  const first = time([BIN, 'check', '--config', config]);
  if (first.status !== 0) {
    console.log(`  wmon check: not timed: the stack is not healthy (exit ${first.status}); its output:`);
    console.log(first.out.trimEnd().replace(/^/gm, '    '));
    process.exitCode = 1;
  } else {
    const [check, nodeAgain] = alternate(
      [
        { name: 'wmon check', argv: [BIN, 'check', '--config', config] },
        { name: 'node -e 0', argv: ['-e', '0'] },
      ],
      5,
    );
    console.log(
      `  wmon check       ${check.toFixed(0).padStart(6)} ms  (${(check / nodeAgain).toFixed(1)}× node -e 0)`,
    );
    console.log(
      `  ${verdict(check <= 1000, `wmon check on a healthy stack ${(check / 1000).toFixed(2)} s`, '<= 1.0 s')}`,
    );
  }
}
