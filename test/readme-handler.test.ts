/**
 * The README's "Your own handler" section stays true: its list of metrics is the contract's (what the alerts and
 * dashboards read), and its Express example is test/support/express-handler.ts, which the end-to-end suite runs.
 */
import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { HANDLER_REQUIRED_METRICS, SERVICE_METRICS, type MetricSpec } from '@wmon/contract';

const read = (p: string) => readFile(new URL(`../${p}`, import.meta.url), 'utf8');

/** SERVICE_METRICS as the README's table shows it. */
function handlerMetricsTable(): string {
  const required = new Set<string>(HANDLER_REQUIRED_METRICS);
  const rows = Object.entries(SERVICE_METRICS).map(([key, m]: [string, MetricSpec]) => {
    const labels = m.labels.length > 0 ? m.labels.map((l) => `\`${l}\``).join(', ') : '–';
    return `| \`${m.name}\` | ${m.type} | ${labels} | ${required.has(key) ? 'yes' : ''} | ${m.help} |`;
  });
  return ['| metric | type | labels | required | what |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

describe('README: your own handler', () => {
  it('lists exactly the contract’s metrics, the required ones marked', async () => {
    expect(await read('README.md')).toContain(`${handlerMetricsTable()}\n`);
  });

  it('shows test/support/express-handler.ts verbatim as the Express example', async () => {
    const [readme, example] = await Promise.all([read('README.md'), read('test/support/express-handler.ts')]);
    expect(readme).toContain('```ts\n' + example + '```');
  });
});
