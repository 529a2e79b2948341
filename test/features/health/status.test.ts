import { describe, expect, it } from 'vitest';

import { exitCodeFor, statusLine, worstStatus } from '../../../src/features/health/status.js';
import { runTasks, type CheckTask } from '../../../src/features/health/runner.js';
import type { CheckResultJson } from '../../../src/results.js';

const check = (status: CheckResultJson['status'], component = 'webhook', detail = 'd'): CheckResultJson => ({
  id: `${component}.${status}`,
  component,
  check: 'ready',
  status,
  detail,
  differences: [],
  durationMs: 1,
});

describe('the overall state', () => {
  it('is the worst by CRITICAL > UNKNOWN > WARNING > OK, with Nagios exit codes', () => {
    expect(worstStatus([])).toBe('OK');
    expect(worstStatus(['OK', 'WARNING'])).toBe('WARNING');
    expect(worstStatus(['WARNING', 'UNKNOWN', 'OK'])).toBe('UNKNOWN');
    expect(worstStatus(['UNKNOWN', 'CRITICAL', 'WARNING'])).toBe('CRITICAL');
    expect([exitCodeFor('OK'), exitCodeFor('WARNING'), exitCodeFor('CRITICAL'), exitCodeFor('UNKNOWN')]).toEqual([
      0, 1, 2, 3,
    ]);
  });

  it('reads as a Nagios status line, problems worst first', () => {
    expect(statusLine('OK', [check('OK'), check('OK')])).toBe('WMON OK - 2 checks passed');
    expect(
      statusLine('CRITICAL', [
        check('WARNING', 'alertmanager', 'drift'),
        check('OK'),
        check('CRITICAL', 'webhook', 'down'),
      ]),
    ).toBe('WMON CRITICAL - 1 critical, 1 warning: webhook ready: down; alertmanager ready: drift');
    expect(statusLine('WARNING', [check('WARNING', 'prometheus', 'drift'), check('WARNING', 'loki', 'slow')])).toBe(
      'WMON WARNING - 2 warnings: prometheus ready: drift; loki ready: slow',
    );
  });
});

describe('runTasks', () => {
  const task = (over: Partial<CheckTask>): CheckTask => ({
    group: 'ready',
    id: 'x',
    component: 'x',
    check: 'ready',
    deadlineMs: 200,
    run: async () => [],
    ...over,
  });

  it('runs tasks in parallel and turns a stuck or failing one into an UNKNOWN row of its own', async () => {
    const started = Date.now();
    const rows = await runTasks([
      task({ id: 'slow', run: () => new Promise(() => undefined) }),
      task({ id: 'slow2', run: () => new Promise(() => undefined) }),
      task({ id: 'boom', run: async () => Promise.reject(new Error('socket hang up\nmore')) }),
      task({
        id: 'fine',
        run: async () => [{ id: 'fine', component: 'x', check: 'ready', status: 'OK', detail: 'ok' }],
      }),
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(rows.map((r) => [r.id, r.status, r.detail])).toEqual([
      ['slow', 'UNKNOWN', 'no result within the 0.2 s deadline'],
      ['slow2', 'UNKNOWN', 'no result within the 0.2 s deadline'],
      ['boom', 'UNKNOWN', 'the check failed: socket hang up'],
      ['fine', 'OK', 'ok'],
    ]);
  });
});
