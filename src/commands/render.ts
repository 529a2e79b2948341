import { Flags } from '@oclif/core';

import { RENDER_TARGETS, renderToDir } from '../ops/render.js';
import type { RenderResultJson } from '../results.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { formatRender } from '../cli/format/render.js';

export default class Render extends WmonCommand {
  static override summary = 'Render the stack configuration into a folder, without starting anything.';

  static override description = `Writes prometheus.yml, the alert rules, alertmanager.yml, Grafana provisioning and dashboards, and the Loki configuration — exactly what \`wmon init\` would mount into the containers — so you can review them or commit them. Secrets are never written here: the files refer to secret files that \`wmon init\` creates in the stack directory.

Rendering is deterministic: the same wmon.yaml gives byte-identical files. Without wmon.yaml, the defaults are rendered.

\`--target kubernetes\` writes manifests for a cluster with the Prometheus Operator and Grafana's dashboard sidecar (PrometheusRule, ServiceMonitor, AlertmanagerConfig, dashboards as ConfigMaps, the service as a Deployment with its Service, PodDisruptionBudget and optional HorizontalPodAutoscaler) and a kustomization.yaml for \`kubectl apply -k\`; secrets are references to Secrets you create. \`--target compose\` writes compose.yaml for the containers \`wmon init\` creates, beside the files they mount; like init, it lays out the stack directory's secret files (generating what wmon generates), which compose.yaml mounts from there. Both need --out.`;

  static override examples = examples({
    'Render into the stack directory of ./wmon.yaml (default .wmon/)': '',
    'Render into a folder you can review or commit': '--out deploy/monitoring',
    'Machine-readable list of files with sizes and checksums': '--out /tmp/stack --json',
    'Kubernetes manifests for the Prometheus Operator (kubectl apply -k deploy/kubernetes)':
      '--target kubernetes --out deploy/kubernetes',
    'A Compose file of the stack init creates (docker compose -f deploy/compose/compose.yaml up)':
      '--target compose --out deploy/compose',
  });

  static override flags = {
    out: Flags.string({
      char: 'o',
      summary: 'Folder to write into (default: the stack directory from wmon.yaml).',
      env: 'WMON_RENDER_OUT',
    }),
    target: Flags.option({
      summary: 'What to render: the local stack, Kubernetes manifests, or a Compose file.',
      options: RENDER_TARGETS,
      default: 'local',
      env: 'WMON_RENDER_TARGET',
    })(),
  };

  async run(): Promise<RenderResultJson> {
    const { flags } = await this.parse(Render);
    const ctx = await this.openStack(flags.config, { ifMissing: 'defaults' });
    const result = await renderToDir(ctx, flags.out, flags.target);
    if (!this.jsonEnabled()) this.log(formatRender(result));
    return result;
  }
}
