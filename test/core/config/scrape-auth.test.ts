/**
 * prometheus.extraScrapeConfigs' `basicAuth` and `bearerToken` when wmon.yaml loads: each secret read (bounded)
 * and checked, a bad one refused naming its key, and the credential keys that cannot go together refused.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../../src/core/config/load.js';
import { MAX_SECRET_FILE_BYTES } from '../../../src/core/config/small-file.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../support/tmp.js';

const job = (credentials: string) =>
  `prometheus:\n  extraScrapeConfigs:\n  - job_name: orders-api\n    static_configs: [{targets: ['orders:8080']}]\n${credentials
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;

/** wmon.yaml (`yaml`) loaded in a folder where `prepare` made its files: the problems it reports (none: []). */
async function issues(yaml: string, prepare: (dir: string) => Promise<unknown> = async () => {}, env = {}) {
  const dir = await tempDir('wmon-scrape-auth-config-');
  await writeFile(path.join(dir, 'wmon.yaml'), yaml);
  await prepare(dir);
  try {
    await loadConfig(path.join(dir, 'wmon.yaml'), { env });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
}

describe("extra scrape jobs' basicAuth and bearerToken in wmon.yaml", () => {
  it('loads a password from a file beside wmon.yaml and a token from the environment', async () => {
    const password = (dir: string) => writeFile(path.join(dir, 'orders-password'), 'hunter2-but-longer\n');
    expect(await issues(job('basicAuth: {username: scraper, password: {file: orders-password}}'), password)).toEqual(
      [],
    );
    expect(await issues(job('bearerToken: {env: ORDERS_TOKEN}'), undefined, { ORDERS_TOKEN: 'tok-123' })).toEqual([]);
  });

  it('refuses a missing, oversized, non-regular or malformed secret, naming the key', async () => {
    const basic = job('basicAuth: {username: scraper, password: {file: secrets/orders-password}}');
    const bearer = job('bearerToken: {file: secrets/orders-token}');
    expect(await issues(basic)).toEqual([
      {
        path: 'prometheus.extraScrapeConfigs[0].basicAuth.password.file',
        message: expect.stringMatching(/^secret file .*secrets\/orders-password does not exist$/),
      },
    ]);
    const secrets = (name: string, contents: string) => async (dir: string) => {
      await mkdir(path.join(dir, 'secrets'));
      await writeFile(path.join(dir, 'secrets', name), contents);
    };
    expect(await issues(bearer, secrets('orders-token', 'x'.repeat(MAX_SECRET_FILE_BYTES + 1)))).toEqual([
      {
        path: 'prometheus.extraScrapeConfigs[0].bearerToken.file',
        message: expect.stringMatching(
          new RegExp(
            `orders-token is ${MAX_SECRET_FILE_BYTES + 1} bytes; it may have at most ${MAX_SECRET_FILE_BYTES}`,
          ),
        ),
      },
    ]);
    expect(await issues(bearer, (dir) => mkdir(path.join(dir, 'secrets/orders-token'), { recursive: true }))).toEqual([
      {
        path: 'prometheus.extraScrapeConfigs[0].bearerToken.file',
        message: expect.stringMatching(/orders-token is a folder, not a regular file$/),
      },
    ]);
    // A FIFO is refused, not waited on.
    const fifo = async (dir: string) => {
      await mkdir(path.join(dir, 'secrets'));
      await execa('mkfifo', [path.join(dir, 'secrets/orders-token')]);
    };
    expect((await issues(bearer, fifo))[0]?.message).toMatch(/not a regular file$/);
    // A token is one word: the value itself is never printed.
    const spaced = await issues(bearer, secrets('orders-token', 'two words-secret-value\n'));
    expect(spaced).toEqual([
      {
        path: 'prometheus.extraScrapeConfigs[0].bearerToken',
        message: 'file secrets/orders-token must hold a bearer token (one word, no spaces)',
      },
    ]);
    expect(await issues(job('bearerToken: {env: ORDERS_TOKEN}'))).toEqual([
      {
        path: 'prometheus.extraScrapeConfigs[0].bearerToken.env',
        message: 'environment variable ORDERS_TOKEN is not set',
      },
    ]);
  });

  it('refuses credential keys that cannot go together, and a bad reference, naming the key', async () => {
    const paths = async (credentials: string) => (await issues(job(credentials))).map((i) => i.path);
    expect(
      await paths(
        'basicAuth: {username: a, password: {env: P}}\nbasic_auth: {username: a, password_file: /etc/prometheus/p}',
      ),
    ).toEqual(['prometheus.extraScrapeConfigs[0].basicAuth']);
    expect(await paths('bearerToken: {env: T}\nauthorization: {credentials_file: /etc/prometheus/t}')).toEqual([
      'prometheus.extraScrapeConfigs[0].bearerToken',
    ]);
    expect(await paths('basicAuth: {username: a, password: {env: P}}\nbearerToken: {env: T}')).toEqual([
      'prometheus.extraScrapeConfigs[0].bearerToken',
    ]);
    expect(
      await paths('basic_auth: {username: a, password_file: /etc/p}\nauthorization: {credentials_file: /etc/t}'),
    ).toEqual(['prometheus.extraScrapeConfigs[0].authorization']);
    expect(await paths('bearerToken: {env: T, file: t}')).toEqual(['prometheus.extraScrapeConfigs[0].bearerToken']);
    expect(await paths('basicAuth: {username: "a:b", password: {env: P}}')).toEqual([
      'prometheus.extraScrapeConfigs[0].basicAuth.username',
    ]);
    // Prometheus's own *_file fields stay paths inside its container.
    expect(await paths('basic_auth: {username: a, password_file: orders-password}')).toEqual([
      'prometheus.extraScrapeConfigs[0].basic_auth.password_file',
    ]);
  });
});
