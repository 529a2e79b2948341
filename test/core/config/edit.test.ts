import { readFile } from 'node:fs/promises';

import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { applySettings, settingsYaml } from '../../../src/core/config/edit.js';
import { WmonError } from '../../../src/errors.js';
import { TEMPLATE_FILE } from '../../../src/package.js';

const SETTINGS = [
  { path: ['components', 'prometheus', 'image'], value: 'localhost/wmon/prometheus:3.5' },
  { path: ['components', 'grafana', 'enabled'], value: false },
  { path: ['service', 'build', 'baseImage'], value: 'localhost/wmon/node:20-slim' },
] as const;

describe('setting values in wmon.yaml', () => {
  it('changes only the values in the template: every other byte, comments and alignment included, stays', async () => {
    const template = await readFile(TEMPLATE_FILE, 'utf8');
    const out = applySettings('wmon.yaml', template, SETTINGS);
    const changed = out.split('\n').filter((line, i) => line !== template.split('\n')[i]);
    expect(changed).toEqual([
      '    image: localhost/wmon/prometheus:3.5',
      '    enabled: false',
      '    baseImage: localhost/wmon/node:20-slim     # runtime stage',
    ]);
    expect(out.split('\n')).toHaveLength(template.split('\n').length);
  });

  it('adds what is missing, keeping the comments', () => {
    const text = '# mine\nproject: shop   # the shop\ncomponents:\n  grafana: {port: 3001}\n';
    const out = applySettings('wmon.yaml', text, SETTINGS);
    expect(parse(out)).toEqual({
      project: 'shop',
      components: { grafana: { port: 3001, enabled: false }, prometheus: { image: 'localhost/wmon/prometheus:3.5' } },
      service: { build: { baseImage: 'localhost/wmon/node:20-slim' } },
    });
    expect(out).toContain('# mine');
    expect(out).toContain('# the shop');
  });

  it('refuses a file that is not YAML', () => {
    const error = (() => {
      try {
        applySettings('wmon.yaml', 'components: [\n', SETTINGS);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(WmonError);
    expect((error as WmonError).code).toBe('CONFIG_INVALID');
  });

  it('prints the lines to add as YAML', () => {
    expect(parse(settingsYaml(SETTINGS))).toEqual({
      components: { prometheus: { image: 'localhost/wmon/prometheus:3.5' }, grafana: { enabled: false } },
      service: { build: { baseImage: 'localhost/wmon/node:20-slim' } },
    });
  });
});
