import { describe, expect, it } from 'vitest';

import { pipeline, recordingReporter, type PipelineTrace, type Step } from '../../src/ops/steps.js';

const count: Step<{ readonly start: number }, { readonly counted: number }> = {
  title: 'Count',
  async run({ start }, io) {
    io.output(`from ${start}`);
    return { counted: start + 1 };
  },
};

const double: Step<{ readonly counted: number }, { readonly doubled: number }> = {
  title: 'Double',
  async run({ counted }) {
    return { doubled: counted * 2 };
  },
};

const nothing: Step<object, { readonly skipped: null }> = {
  title: 'Nothing to do',
  async run(_state, io) {
    io.skip('not asked');
    return { skipped: null };
  },
};

describe('pipeline', () => {
  it('runs the steps in order, each seeing what the earlier ones added, and reports each', async () => {
    const reporter = recordingReporter();
    const state = await pipeline<{ start: number }>()
      .then(count)
      .then(nothing)
      .then(double)
      .run({ start: 20 }, reporter);
    expect(state).toEqual({ start: 20, counted: 21, skipped: null, doubled: 42 });
    expect(reporter.events).toEqual([
      'start Count',
      '  from 20',
      'done Count',
      'start Nothing to do',
      'skip Nothing to do: not asked',
      'done Nothing to do',
      'start Double',
      'done Double',
    ]);
  });

  it('stops at the first failure, which propagates unchanged; the trace says where and what was built', async () => {
    const failure = new Error('the engine refused');
    const boom: Step<{ readonly counted: number }, object> = {
      title: 'Boom',
      async run() {
        throw failure;
      },
    };
    const trace: PipelineTrace = {};
    const reporter = recordingReporter();
    const run = pipeline<{ start: number }>().then(count).then(boom).then(double).run({ start: 1 }, reporter, trace);
    await expect(run).rejects.toBe(failure);
    expect(trace.step).toBe('Boom');
    expect(trace.state).toEqual({ start: 1, counted: 2 });
    expect(reporter.events.at(-1)).toBe('fail Boom: the engine refused');
    expect(reporter.events).not.toContain('start Double');
  });

  it('runs silently by default, and relabels steps without changing what they do', async () => {
    const p = pipeline<{ start: number }>().then(count).then(double);
    expect(p.relabel((t) => `${t} (rollback)`).titles).toEqual(['Count (rollback)', 'Double (rollback)']);
    expect(await p.relabel((t) => t.toUpperCase()).run({ start: 4 })).toMatchObject({ doubled: 10 });
    expect(p.titles).toEqual(['Count', 'Double']);
  });
});
