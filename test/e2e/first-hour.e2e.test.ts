/**
 * What a new user meets in the first hour, on the real engine: `init` says the stack is up only when it is
 * (an immediate `check` sees every target scraped and Alertmanager known).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { wmon } from '../support/cli.js';
import { checkJsonSchema } from '../support/observe.js';
import { e2eProject, type E2eProject } from './helpers.js';

let p: E2eProject | undefined;

beforeAll(async () => {
  p = await e2eProject('first hour e2e');
  if (!p) return;
  await p.writeConfig();
}, 60_000);

afterAll(async () => {
  await p?.cleanup();
}, 120_000);

const cli = (args: string[]) => wmon(args, { cwd: p!.dir, timeout: 600_000 });

describe.sequential('the first hour with wmon on a real engine', () => {
  it('init, then an immediate check, exits 0 ten times in a row: every target scraped, Alertmanager known', async ({
    skip,
  }) => {
    if (!p) return skip();
    for (let round = 1; round <= 10; round++) {
      const down = await cli(['down']);
      expect(down.exitCode, `round ${round}: ${down.stderr}`).toBe(0);
      const init = await cli(['init', '--json']);
      expect(init.exitCode, `round ${round}: ${init.stderr}`).toBe(0);
      const check = await cli(['check', '--json']);
      const json = checkJsonSchema.parse(JSON.parse(check.stdout));
      const rows = json.checks.map((c) => `${c.id} ${c.status} ${c.detail}`).join('\n');
      expect(check.exitCode, `round ${round}:\n${rows}`).toBe(0);
      // Not merely OK within a grace period: each target already scraped and up, Alertmanager already known.
      const targets = json.checks.filter((c) => c.id.startsWith('targets.'));
      expect(targets.map((c) => c.id).sort(), `round ${round}`).toEqual(
        ['targets.alertmanager/', 'targets.node-exporter/', 'targets.prometheus/', 'targets.webhook/'].map((prefix) =>
          expect.stringMatching(new RegExp(`^${prefix}`)),
        ),
      );
      for (const t of targets) expect(t.detail, `round ${round}`).toMatch(/ up, scraped /);
      expect(json.checks.find((c) => c.id === 'alerting')?.detail, `round ${round}`).toMatch(/^to http/);
      expect(json.checks.find((c) => c.id === 'rules')?.status, `round ${round}`).toBe('OK');
    }
  }, 1_800_000);
});
