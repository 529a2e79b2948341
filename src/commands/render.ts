import { Flags } from '@oclif/core';

import { renderToDir } from '../ops/render.js';
import type { RenderResultJson } from '../results.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { formatRender } from '../cli/format/render.js';

export default class Render extends WmonCommand {
  static override summary = 'Render the stack configuration into a folder, without starting anything.';

  static override description = `Writes prometheus.yml, the alert rules, alertmanager.yml, Grafana provisioning and dashboards, and the Loki configuration — exactly what \`wmon init\` would mount into the containers — so you can review them or commit them. Secrets are never written here: the files refer to secret files that \`wmon init\` creates in the stack directory.

Rendering is deterministic: the same wmon.yaml gives byte-identical files. Without wmon.yaml, the defaults are rendered.`;

  static override examples = examples({
    'Render into the stack directory of ./wmon.yaml (default .wmon/)': '',
    'Render into a folder you can review or commit': '--out deploy/monitoring',
    'Machine-readable list of files with sizes and checksums': '--out /tmp/stack --json',
  });

  static override flags = {
    out: Flags.string({
      char: 'o',
      summary: 'Folder to write into (default: the stack directory from wmon.yaml).',
      env: 'WMON_RENDER_OUT',
    }),
  };

  async run(): Promise<RenderResultJson> {
    const { flags } = await this.parse(Render);
    const ctx = await this.openStack(flags.config, { ifMissing: 'defaults' });
    const result = await renderToDir(ctx, flags.out);
    if (!this.jsonEnabled()) this.log(formatRender(result));
    return result;
  }
}
