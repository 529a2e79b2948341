/** The README's "Tested with" section says what CI runs (scripts/versions.env) and what wmon refuses. */
import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { DEFAULT_IMAGES } from '../src/core/config/schema.js';
import { MINIMUM_VERSIONS } from '../src/core/model/versions.js';
import { TEST_IMAGES, TESTED } from './support/versions.js';

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.slice(
  readme.indexOf('## Tested with'),
  readme.indexOf('\n## ', readme.indexOf('## Tested with') + 5),
);

/** The table's rows by component: [default image, version CI runs, only checked statically]. */
function rows(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('| component') || line.startsWith('| ---')) continue;
    const cells = line
      .slice(1, -1)
      .split(' | ')
      .map((c) => c.trim());
    out.set(cells[0]!, cells.slice(1));
  }
  return out;
}

describe('README "Tested with"', () => {
  it('has one row per component, each default image as templates/wmon.yaml and the schema have it', () => {
    const table = rows();
    expect([...table.keys()]).toEqual([
      'Prometheus',
      'Alertmanager',
      'Node Exporter',
      'Grafana',
      'Loki',
      'Jaeger',
      'Blackbox Exporter',
    ]);
    const ids = {
      Prometheus: 'prometheus',
      Alertmanager: 'alertmanager',
      'Node Exporter': 'nodeExporter',
      Grafana: 'grafana',
      Loki: 'loki',
      Jaeger: 'jaeger',
    } as const;
    for (const [title, id] of Object.entries(ids))
      expect(table.get(title)![0], title).toBe(`\`${DEFAULT_IMAGES[id]}\``);
  });

  it('names the minors CI runs, as scripts/versions.env pins them, and what is only checked statically', () => {
    const table = rows();
    const runs = {
      Prometheus: TESTED.prometheus,
      Alertmanager: TESTED.alertmanager,
      'Node Exporter': TESTED.nodeExporter,
      'Blackbox Exporter': TESTED.blackboxExporter,
    };
    for (const [title, minor] of Object.entries(runs)) {
      expect(table.get(title)![1], title).toMatch(new RegExp(`^${minor.replace('.', '\\.')}\\.x \\(Debian's `));
      expect(table.get(title)![2], title).toBe('');
    }
    for (const title of ['Grafana', 'Loki', 'Jaeger']) {
      expect(table.get(title)![1], title).toMatch(/^not run/);
      expect(table.get(title)![2], title).toContain('contract fake');
    }
  });

  it('states the oldest supported versions wmon enforces', () => {
    expect(section).toContain(
      `Prometheus ${MINIMUM_VERSIONS.prometheus},\nAlertmanager ${MINIMUM_VERSIONS.alertmanager} and Node Exporter ${MINIMUM_VERSIONS.nodeExporter}`,
    );
    expect(section).toContain('VERSION_UNSUPPORTED');
  });

  it('names the local images the scripts build', () => {
    const tag = (image: string) => image.replace('localhost/wmon/', '');
    expect(readme).toContain(`\`${TEST_IMAGES.prometheus}\``);
    for (const image of [TEST_IMAGES.alertmanager, TEST_IMAGES.nodeExporter, TEST_IMAGES.blackboxExporter])
      expect(readme).toContain(`\`${tag(image)}\``);
  });
});
