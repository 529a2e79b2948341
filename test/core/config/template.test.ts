import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { configSchema } from '../../../src/core/config/schema.js';

describe('templates/wmon.yaml (the starter file)', () => {
  it('is valid and states exactly the defaults', async () => {
    const text = await readFile(new URL('../../../templates/wmon.yaml', import.meta.url), 'utf8');
    expect(parseConfigText(text, 'templates/wmon.yaml')).toEqual(configSchema.parse({}));
  });
});
