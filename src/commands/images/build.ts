import { Flags } from '@oclif/core';

import type { ImagesBuildResultJson } from '../../results.js';
import { TEMPLATE_FILE } from '../../package.js';
import { buildLocalImages, DEFAULT_REPOSITORY, LOCAL_IMAGE_COMPONENTS } from '../../ops/images-build.js';
import { WmonCommand } from '../../cli/base-command.js';
import { examples } from '../../cli/examples.js';
import { localRepositoryFlag, wordsFlag } from '../../cli/flags.js';
import { formatImagesBuild } from '../../cli/format/images-build.js';

export default class ImagesBuild extends WmonCommand {
  static override summary =
    "Build the components' images here, from the distribution's packages, for hosts that reach no registry; record them in wmon.yaml.";

  static override description = `For air-gapped hosts: builds Prometheus, Alertmanager and Node Exporter images from Debian's packages (at the versions wmon is tested with), and the webhook service's two base images (node:20 with a C++ toolchain, node:20-slim) from this machine's Node 20, with the official images' entrypoints, users and volumes. They are named ${DEFAULT_REPOSITORY}/prometheus:<version> and so on (--repository), and are never pulled.

Then writes their references into wmon.yaml (creating it with the defaults if there is none; comments are kept), or with --print prints the lines to add. Grafana, Loki and Jaeger have no such source: they are switched off (enabled: false). \`wmon init\` then runs the stack with no registry.

An image whose name exists with the same inputs (packages, recipe) is kept, so running it again takes seconds; --force rebuilds. The first build downloads packages from the machine's Debian mirror: a few minutes. Runs on Debian and Ubuntu only, as root, with a container engine (\`wmon engine install\`).

Exit codes: 0 done; 2 bad usage; 69 not Debian/Ubuntu or not root, no engine, or a build failed (the message has its last lines); 73 wmon.yaml cannot be written; 78 wmon.yaml is invalid.`;

  static override examples = examples({
    'Build every image the stack needs and record them in ./wmon.yaml': 'sudo',
    'Only print the lines to add to wmon.yaml': 'sudo --print',
    'Rebuild the Node Exporter image under another name':
      'sudo --component nodeExporter --repository localhost/acme --force',
    'For another configuration, machine-readable': 'sudo --config environments/production.yaml --json',
  });

  static override flags = {
    component: wordsFlag(
      LOCAL_IMAGE_COMPONENTS,
      'component',
    )({
      summary: `Only these (repeatable, comma-separated): ${LOCAL_IMAGE_COMPONENTS.join(', ')} (webhook: its base images). Default: those enabled in wmon.yaml.`,
      env: 'WMON_COMPONENT',
    }),
    repository: localRepositoryFlag({
      summary: 'Name the images <repository>/<image>:<version>; under localhost/.',
      default: DEFAULT_REPOSITORY,
      env: 'WMON_IMAGE_REPOSITORY',
    }),
    force: Flags.boolean({ summary: 'Rebuild even the images that are up to date.', env: 'WMON_IMAGES_FORCE' }),
    print: Flags.boolean({ summary: 'Print the lines to add to wmon.yaml instead of writing it.', env: 'WMON_PRINT' }),
  };

  async run(): Promise<ImagesBuildResultJson> {
    const { flags } = await this.parse(ImagesBuild);
    const ctx = await this.openStack(flags.config, { ifMissing: 'defaults' });
    const result = await buildLocalImages(
      ctx,
      {
        ...(flags.component ? { components: flags.component.flat() } : {}),
        repository: flags.repository,
        force: flags.force,
        print: flags.print,
        template: TEMPLATE_FILE,
      },
      this.reporter(),
    );
    if (!this.jsonEnabled()) this.log(formatImagesBuild(result));
    return result;
  }
}
