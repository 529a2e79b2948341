/**
 * Runs the `promtool test rules` suite in test/promtool/ against the rules wmon renders.
 *
 * The rule file is generated, so each run renders it (serialised with `yaml`, as the render orchestrator
 * does) into a temporary folder, copies the *.test.yml files beside it and runs promtool there.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_ALERTS, alertsSchema } from '../../src/core/config/alerts.js';
import { buildAlertRules, type RuleFile } from '../../src/core/render/rules.js';
import { REPO_ROOT, findPromtool, listTestFiles, prepareSuite as prepare, promtool } from './promtool.js';

const SUITE_DIR = path.join(REPO_ROOT, 'test', 'promtool');
const CUSTOM_DIR = path.join(SUITE_DIR, 'custom-thresholds');
/** The Grafana URL the default suite's dashboard_url annotations expect. */
const GRAFANA_URL = 'http://127.0.0.1:3000';

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string> }> | null;
}
interface PromtoolTestFile {
  tests: Array<{ alert_rule_test?: AlertRuleTest[] }>;
}

let bin: string;
let root: string;
let defaultDir: string;
const testFiles = await listTestFiles(SUITE_DIR);
const defaultRules = buildAlertRules({ alerts: DEFAULT_ALERTS, grafanaUrl: GRAFANA_URL });

beforeAll(async () => {
  bin = await findPromtool();
  root = await mkdtemp(path.join(tmpdir(), 'wmon-promtool-'));
  defaultDir = await prepare(defaultRules, SUITE_DIR, root);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('alert rules under promtool', () => {
  it('says how to get promtool when it is missing, instead of skipping', async () => {
    await expect(findPromtool({ root: root, pathEnv: '' })).rejects.toThrow(/run scripts\/prom-tools\.sh/i);
  });

  it('promtool check rules accepts the rendered rules', async () => {
    const result = await promtool(bin, ['check', 'rules', 'rules.yml'], defaultDir);
    expect(result.output).toContain(`SUCCESS: ${defaultRules.groups.flatMap((g) => g.rules).length} rules found`);
    expect(result.exitCode, result.output).toBe(0);
  });

  it('has test files to run', () => {
    expect(testFiles.length).toBeGreaterThanOrEqual(7);
  });

  it.each(testFiles)('promtool test rules %s', async (file) => {
    const result = await promtool(bin, ['test', 'rules', file], defaultDir);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it('covers every alert: a firing case with its severity, and a silent case', async () => {
    const cases: AlertRuleTest[] = [];
    for (const file of testFiles) {
      const doc = parse(await readFile(path.join(SUITE_DIR, file), 'utf8')) as PromtoolTestFile;
      for (const test of doc.tests) cases.push(...(test.alert_rule_test ?? []));
    }
    const rules = defaultRules.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(15);
    for (const rule of rules) {
      const own = cases.filter((c) => c.alertname === rule.alert);
      const firing = own.filter((c) => (c.exp_alerts ?? []).length > 0);
      const silent = own.filter((c) => (c.exp_alerts ?? []).length === 0);
      // An alert may have a rule per severity (WebhookCertificateExpiringSoon): each needs its firing case.
      const severities = rules.filter((r) => r.alert === rule.alert).map((r) => r.labels.severity);
      const firedSeverities = firing.flatMap((c) => (c.exp_alerts ?? []).map((a) => a.exp_labels?.severity));
      expect(firedSeverities, `${rule.alert} has no firing case with severity ${rule.labels.severity}`).toContain(
        rule.labels.severity,
      );
      // Watchdog always fires: that is its point.
      if (rule.alert !== 'Watchdog') expect(silent.length, `${rule.alert} has no silent case`).toBeGreaterThan(0);
      for (const severity of firedSeverities) expect(severities).toContain(severity);
    }
  });

  it('fails when a rule fires only above its threshold (the suite tests the boundary)', async () => {
    // Thresholds compared with >= (or == 0 / <= for a gauge that must stay above a floor) become strict;
    // the silence alerts have a window, not a threshold, and their own boundary cases.
    const strictExpr = (expr: string) =>
      expr
        .replaceAll(' >= ', ' > ')
        .replaceAll(' <= ', ' < ')
        .replace(/ == 0$/, ' < 0');
    const strict: RuleFile = {
      groups: defaultRules.groups.map((g) => ({
        ...g,
        rules: g.rules.map((r) => ({ ...r, expr: strictExpr(r.expr) })),
      })),
    };
    const dir = await prepare(strict, SUITE_DIR, root);
    const result = await promtool(bin, ['test', 'rules', ...testFiles], dir);
    expect(result.exitCode).not.toBe(0);
    // Every alert's at-threshold case now fails, each reported by name.
    const thresholded = defaultRules.groups.flatMap((g) => g.rules).filter((r) => strictExpr(r.expr) !== r.expr);
    expect(thresholded.length).toBeGreaterThanOrEqual(13);
    for (const rule of thresholded) {
      expect(result.output).toContain(`alertname: ${rule.alert},`);
    }
  });

  it('follows the thresholds, durations and runbook URL of the config, without Grafana links when it is off', async () => {
    const alerts = alertsSchema.parse({
      errorRatePercent: { critical: 20, criticalFor: '2m' },
      memoryPercent: { warning: 90 },
      runbookBaseUrl: 'https://runbooks.example.com/wmon',
    });
    const rules = buildAlertRules({ alerts, reconcileInterval: '5m' });
    const rule = rules.groups[0]?.rules.find((r) => r.alert === 'WebhookHighErrorRate');
    expect(rule?.expr).toMatch(/ >= 0\.2$/);
    expect(rule?.for).toBe('2m');

    const dir = await prepare(rules, CUSTOM_DIR, root);
    const check = await promtool(bin, ['check', 'rules', 'rules.yml'], dir);
    expect(check.exitCode, check.output).toBe(0);
    const result = await promtool(bin, ['test', 'rules', ...(await listTestFiles(CUSTOM_DIR))], dir);
    expect(result.exitCode, result.output).toBe(0);
  });
});
