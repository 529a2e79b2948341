/**
 * The rules inside the PrometheusRule of `wmon render --target kubernetes`, taken out of the manifest as written,
 * under `promtool check rules` and the very `promtool test rules` suite the local stack's rules pass
 * (promtool-rules.test.ts): the cluster alerts as the local stack does.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { wmon } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { REPO_ROOT, findPromtool, listTestFiles, prepareSuite, promtool } from './promtool.js';

const SUITE_DIR = path.join(REPO_ROOT, 'test', 'promtool');
/** The configuration whose rules are the suite's (every alert: probes of the public URL, the reconcile). */
const WMON_YAML = `service:
  publicUrl: https://hooks.example.com/webhooks/stripe
  stripeApiKey: {env: STRIPE_API_KEY}
`;

let bin: string;
let root: string;
let suite: string;
let ruleCount: number;
const testFiles = await listTestFiles(SUITE_DIR);

beforeAll(async () => {
  bin = await findPromtool();
  root = await mkdtemp(path.join(tmpdir(), 'wmon-k8s-promtool-'));
  const dir = await tempDir('wmon-k8s-');
  await writeFile(path.join(dir, 'wmon.yaml'), WMON_YAML);
  const r = await wmon(['render', '--target', 'kubernetes', '--out', 'k8s'], {
    cwd: dir,
    env: { STRIPE_API_KEY: 'rk_test_51wmonK8sRules0123456789' },
  });
  expect(r.exitCode, r.stderr).toBe(0);
  const manifest = parse(await readFile(path.join(dir, 'k8s', 'prometheusrule.yaml'), 'utf8')) as {
    kind: string;
    spec: { groups: Array<{ rules: unknown[] }> };
  };
  expect(manifest.kind).toBe('PrometheusRule');
  ruleCount = manifest.spec.groups.flatMap((g) => g.rules).length;
  suite = await prepareSuite({ groups: manifest.spec.groups }, SUITE_DIR, root);
}, 120_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the PrometheusRule under promtool', () => {
  it('promtool check rules accepts its rules', async () => {
    const result = await promtool(bin, ['check', 'rules', 'rules.yml'], suite);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain(`SUCCESS: ${ruleCount} rules found`);
    expect(ruleCount).toBeGreaterThanOrEqual(15);
  });

  it('passes the local stack’s promtool test rules suite', async () => {
    expect(testFiles.length).toBeGreaterThanOrEqual(7);
    const result = await promtool(bin, ['test', 'rules', ...testFiles], suite);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });
});
