import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { EXIT_CODES } from '../src/errors.js';

const read = (p: string) => readFile(new URL(`../${p}`, import.meta.url), 'utf8');

describe('README stays true', () => {
  it('shows templates/wmon.yaml verbatim as the configuration reference', async () => {
    const [readme, template] = await Promise.all([read('README.md'), read('templates/wmon.yaml')]);
    expect(readme).toContain('```yaml\n' + template + '```');
  });

  it('lists exactly the exit codes of src/errors.ts', async () => {
    const readme = await read('README.md');
    const section = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('\n## ', readme.indexOf('## Exit codes') + 5));
    for (const { code, meaning } of Object.values(EXIT_CODES)) expect(section).toContain(`| ${code} | ${meaning} |`);
  });
});
