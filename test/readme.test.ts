import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { parse } from 'yaml';

import { parseConfigText } from '../src/core/config/load.js';
import { COMPONENT_IDS, DEFAULT_LIMITS } from '../src/core/config/schema.js';
import { containerSpecs } from '../src/core/model/containers.js';
import { buildStack } from '../src/core/model/stack.js';
import { ERRORS, EXIT_CODES } from '../src/errors.js';
import { everyAlert } from './core/render/every-alert.js';

const read = (p: string) => readFile(new URL(`../${p}`, import.meta.url), 'utf8');

/** The README's section that starts at `heading`, up to the next heading of the same level or higher. */
function section(readme: string, heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, `README has no "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = heading.split(' ')[0]!;
  const next = readme.slice(start + heading.length + 2).search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return readme.slice(start, next < 0 ? undefined : start + heading.length + 2 + next);
}

/** ERRORS as the README's table shows it. */
function errorCodeTable(): string {
  const rows = Object.entries(ERRORS).map(([code, spec]) => {
    const exit = EXIT_CODES[spec.exit].code;
    return `| \`${code}\` | ${'exitFrom' in spec ? `its cause's, else ${exit}` : exit} | ${spec.meaning} |`;
  });
  return ['| code | exit | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Backquoted names in the README that are environment variables, not error codes. */
const ENV_VAR = /^(\$.*|WMON_[A-Z_]+|DOCKER_HOST|NO_COLOR)$/;

describe('README stays true', () => {
  it('shows templates/wmon.yaml verbatim as the configuration reference', async () => {
    const [readme, template] = await Promise.all([read('README.md'), read('templates/wmon.yaml')]);
    expect(readme).toContain('```yaml\n' + template + '```');
  });

  it('lists exactly the exit codes of src/errors.ts', async () => {
    const exitCodes = section(await read('README.md'), '## Exit codes');
    for (const { code, meaning } of Object.values(EXIT_CODES)) expect(exitCodes).toContain(`| ${code} | ${meaning} |`);
  });

  it('lists every error code of src/errors.ts, with its exit code and meaning, in its order', async () => {
    // On a mismatch, the expected table is what to paste into the README.
    expect(section(await read('README.md'), '### Error codes')).toContain(`\n${errorCodeTable()}\n`);
  });

  it("runs the README's test command in CI exactly as written", async () => {
    const [readme, ci] = await Promise.all([read('README.md'), read('.ci/run')]);
    const row = /^\| run the tests \| `([^`]+)` \|$/m.exec(section(readme, '## Quick start'));
    expect(row, 'the Quick start table has no "run the tests" row').not.toBeNull();
    const command = row![1]!;
    // A line of .ci/run that is the command itself (not a comment that mentions it).
    const lines = ci.split('\n').map((l) => l.trim());
    expect(lines).toContain(command);
  });

  it('lists every alert wmon renders, with its severity and runbook, and no other', async () => {
    const table = section(await read('README.md'), '### Alerts');
    const rows = [...table.matchAll(/^\| \[`(\w+)`\]\(runbooks\/(\w+)\.md\) \| (\w+(?:, \w+)*) \|/gm)];
    const alerts = everyAlert();
    expect(rows.map((r) => r[1]).sort()).toEqual([...new Set(alerts.map((a) => a.alert))].sort());
    for (const [, name, file, severity] of rows) {
      expect(file).toBe(name);
      // An alert with a rule per severity lists each, the lower first: `warning, critical`.
      const own = alerts.filter((a) => a.alert === name).map((a) => a.labels.severity);
      expect(severity!.split(', ').sort(), name).toEqual(own.sort());
    }
  });

  it('names no error code that does not exist', async () => {
    const readme = await read('README.md');
    const names = readme.matchAll(/`(\$?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`|"code": "([A-Z_]+)"/g);
    const named = [...names].map((m) => m[1] ?? m[2]!);
    expect(named.length).toBeGreaterThan(Object.keys(ERRORS).length);
    expect(named.filter((n) => !ENV_VAR.test(n) && !(n in ERRORS))).toEqual([]);
  });

  it("states each component's default memory and CPU limits, and they are what the containers get", async () => {
    const readme = await read('README.md');
    const block = /```yaml\n(# wmon\.yaml: the monitoring stack[\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README has no wmon.yaml reference').toBeDefined();
    const components = (parse(block!) as { components: Record<string, { memory: string; cpus: number }> }).components;
    const parseSize = (t: string) => Number.parseFloat(t) * 1024 ** ' kmg'.indexOf(t.slice(-1).toLowerCase());
    // Every component's line in the README, against what a container of the default configuration is given.
    const config = parseConfigText('', 'wmon.yaml');
    const specs = containerSpecs(buildStack(config), { stackDir: '/tmp/x', secretMounts: {}, imageIds: {} });
    for (const id of COMPONENT_IDS) {
      const stated = components[id];
      expect(stated, `README states no limits for ${id}`).toMatchObject({ memory: expect.any(String) });
      expect(String(stated!.memory)).toBe(DEFAULT_LIMITS[id].memory);
      expect(stated!.cpus).toBe(DEFAULT_LIMITS[id].cpus);
      const spec = specs.find((c) => c.component === id);
      if (!spec) continue; // switched off by default
      expect(spec.memoryBytes, id).toBe(parseSize(stated!.memory));
      expect(spec.nanoCpus, id).toBe(stated!.cpus * 1e9);
    }
  });
});
