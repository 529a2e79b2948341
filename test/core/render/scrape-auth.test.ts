/**
 * prometheus.extraScrapeConfigs with wmon's credential keys (`basicAuth`, `bearerToken`: secret references) as
 * they are rendered: jobs naming files in Prometheus's secrets folder (promtool checks them with those files
 * there), the files holding the values, never a rendered file or a container's settings, and the folder
 * mounted only when a job or endpoint needs it.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { materializeSecrets } from '../../../src/adapters/stack-dir/secrets.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { secretSlots } from '../../../src/core/config/secrets.js';
import { expectOnlyInSecretsFolder, promtoolCheck, renderedWithSecrets } from '../../support/rendered-secrets.js';

const ORDERS_PASSWORD = 'orders-scrape-password-71c0';
const QUEUE_TOKEN = 'queue-scrape-token-e3a9f2';

const IN_CONTAINER = `  - job_name: in-container
    static_configs: [{targets: ['db-exporter:9187']}]
    basic_auth: {username: exporter, password_file: /etc/prometheus/db-password}
`;

const JOBS = `prometheus:
  extraScrapeConfigs:
  - job_name: orders-api
    static_configs: [{targets: ['host.containers.internal:8080']}]
    basicAuth: {username: scraper, password: {file: orders-password}}
  - job_name: queue
    scheme: https
    static_configs: [{targets: ['queue.internal:9000']}]
    bearerToken: {env: WMON_TEST_QUEUE_TOKEN}
${IN_CONTAINER}`;

function rendered(yaml: string) {
  process.env.WMON_TEST_QUEUE_TOKEN = QUEUE_TOKEN;
  return renderedWithSecrets('wmon-scrape-auth-', yaml, { 'orders-password': `${ORDERS_PASSWORD}\n` });
}

/** prometheus.yml as Prometheus reads it with its secrets folder at `folder` (the container's mount on the host). */
async function withSecretsAt(promYml: string, folder: string): Promise<string> {
  const file = path.join(path.dirname(promYml), 'prometheus-host.yml');
  await writeFile(file, (await readFile(promYml, 'utf8')).replaceAll('/run/secrets/wmon/', `${folder}/`));
  return file;
}

describe('extra scrape jobs with basicAuth and bearerToken, rendered', () => {
  it('renders password_file and credentials_file in the secrets folder; promtool accepts them with the files there', async () => {
    const r = await rendered(JOBS);
    const extra = r.prometheus.scrape_configs.slice(-3);
    expect(extra).toEqual([
      {
        job_name: 'orders-api',
        static_configs: [{ targets: ['host.containers.internal:8080'] }],
        basic_auth: { username: 'scraper', password_file: '/run/secrets/wmon/scrape_1_password' },
      },
      {
        job_name: 'queue',
        scheme: 'https',
        static_configs: [{ targets: ['queue.internal:9000'] }],
        authorization: { type: 'Bearer', credentials_file: '/run/secrets/wmon/scrape_2_bearer_token' },
      },
      // An absolute path inside the container is Prometheus's own field, kept as it is.
      {
        job_name: 'in-container',
        static_configs: [{ targets: ['db-exporter:9187'] }],
        basic_auth: { username: 'exporter', password_file: '/etc/prometheus/db-password' },
      },
    ]);
    // promtool checks that a credentials_file exists: the file as rendered names the container's folder (only its
    // syntax can be checked on the host); with the mounted folder where the container has it, all of it passes, and
    // without the token's file there it fails.
    const syntax = await promtoolCheck(r.promYml, '--syntax-only');
    expect(syntax.exitCode, syntax.output).toBe(0);
    const folder = r.secrets.mounts.prometheus!;
    const onHost = await withSecretsAt(r.promYml, folder);
    const present = await promtoolCheck(onHost);
    expect(present.exitCode, present.output).toBe(0);
    await rm(path.join(folder, 'scrape_2_bearer_token'));
    const missing = await promtoolCheck(onHost);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.output).toContain('scrape_2_bearer_token');
  });

  it('writes the values only into the secrets folder, mounts it, and names the keys for a backup', async () => {
    const r = await rendered(JOBS);
    const folder = await expectOnlyInSecretsFolder(r, {
      scrape_1_password: ORDERS_PASSWORD,
      scrape_2_bearer_token: QUEUE_TOKEN,
    });
    // What a backup lists as the secrets to set again where it is restored: the keys, never the values.
    expect(secretSlots(parseConfigText(JOBS, 'wmon.yaml')).map((s) => [s.name, s.path])).toEqual([
      ['extraScrapeConfigs.0.password', 'prometheus.extraScrapeConfigs[0].basicAuth.password'],
      ['extraScrapeConfigs.1.bearerToken', 'prometheus.extraScrapeConfigs[1].bearerToken'],
    ]);

    // Jobs without wmon's credential keys take their files away, and Prometheus gets no secrets folder at all.
    const plain = `prometheus:\n  extraScrapeConfigs:\n  - {job_name: plain, static_configs: [{targets: ['plain:9100']}]}\n`;
    await materializeSecrets(
      { file: path.join(r.dir, 'wmon.yaml'), dir: r.dir, exists: true, config: parseConfigText(plain, 'wmon.yaml') },
      r.stackDir,
    );
    expect((await readdir(folder)).filter((n) => n.startsWith('scrape_'))).toEqual([]);
    const after = await rendered(plain);
    expect(after.spec('prometheus').binds.map((b) => b.target)).not.toContain('/run/secrets/wmon');
    // A job whose password file is already in the container needs no folder from wmon either.
    const inContainer = await rendered(`prometheus:\n  extraScrapeConfigs:\n${IN_CONTAINER}`);
    expect(inContainer.prometheus.scrape_configs.at(-1)?.job_name).toBe('in-container');
    expect(inContainer.spec('prometheus').binds.map((b) => b.target)).not.toContain('/run/secrets/wmon');
  });

  it("takes the README's example as it is: promtool accepts what it renders, with the files there", async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const example = /as `prometheus.remoteWrite` takes them[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    process.env.QUEUE_METRICS_TOKEN = QUEUE_TOKEN;
    const r = await renderedWithSecrets('wmon-scrape-auth-readme-', example!, {
      'orders-scrape-password': `${ORDERS_PASSWORD}\n`,
    });
    const check = await promtoolCheck(await withSecretsAt(r.promYml, r.secrets.mounts.prometheus!));
    expect(check.exitCode, check.output).toBe(0);
    expect(r.prometheus.scrape_configs.slice(-2).map((j) => [j.job_name, Object.keys(j).at(-1)])).toEqual([
      ['orders-api', 'basic_auth'],
      ['queue', 'authorization'],
    ]);
  });
});
