/**
 * `kubectl kustomize` (kubectl's own kustomize, offline: no cluster) builds the folder `wmon render --target
 * kubernetes` writes, as `kubectl apply -k DIR` would before sending it: every file listed, every document read.
 * Needs kubectl on PATH; without it the test fails saying so (never a silent skip).
 */
import path from 'node:path';

import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

import { wmonJson } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('kubectl kustomize on the Kubernetes target', () => {
  it('builds every manifest wmon wrote, unchanged in kind and name', async () => {
    const dir = await tempDir();
    const r = await wmonJson<{ files: Array<{ path: string; kind: string }> }>(
      ['render', '--target', 'kubernetes', '--out', 'k8s'],
      { cwd: dir },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const built = await execa('kubectl', ['kustomize', path.join(dir, 'k8s')], { reject: false });
    if (built.exitCode === undefined) {
      throw new Error(`kubectl is needed for this test (install it, or put it on PATH): ${built.message}`);
    }
    expect(built.exitCode, built.stderr).toBe(0);
    const objects = parseAllDocuments(built.stdout).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string } },
    );
    const expected = r.json.files.filter((f) => f.kind !== 'Kustomization').map((f) => f.kind);
    expect(objects.map((o) => o.kind).sort()).toEqual(expected.sort());
    expect(objects.length).toBeGreaterThanOrEqual(10);
  });
});
