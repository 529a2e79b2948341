/**
 * `wmon report --format html` as a user sees it: the built binary reports from a real Prometheus (Debian's)
 * holding three hours of the webhook service's history, backfilled with `promtool tsdb create-blocks-from
 * openmetrics` (a stack started three hours ago, with an outage, an error spike and a slow spell), at 24 h,
 * 1 h and 15 m windows; headless Chromium screenshots each page, and the PNGs are decoded and looked at.
 *
 * Skipped, with the reason, only when Chromium is missing outside CI (scripts/test.sh installs it on Debian).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { jsonOutput, wmon } from '../../support/cli.js';
import { startPrometheus, type Daemon } from '../../support/debian-daemons.js';
import { reportJsonSchema } from '../../support/observe.js';
import { tempDir } from '../../support/tmp.js';
import { promTool } from '../../support/tools.js';

const SCRAPE = 15;
const HISTORY = 3 * 3600;
/** The page's viewport: the whole report fits. */
const VIEWPORT = { width: 1100, height: 1900 };

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}
const chromium = findChromium();
const skipReason =
  chromium === undefined && !process.env.CI
    ? 'Chromium is not installed (apt-get install chromium; scripts/test.sh does it on Debian)'
    : undefined;

/**
 * Three hours of the service's series ending at `end`, as OpenMetrics (samples of one name together, each
 * series in time order): traffic that swells and ebbs, a 10-minute outage (no webhook series, `up` 0), a
 * burst of signature failures, and p95 latency rising for 20 minutes.
 */
export function history(end: number): string {
  const start = end - HISTORY;
  const times: number[] = [];
  for (let t = start; t <= end; t += SCRAPE) times.push(t);
  const outage = (t: number) => t >= start + 100 * 60 && t < start + 110 * 60;
  const errorBurst = (t: number) => t >= start + 140 * 60 && t < start + 150 * 60;
  const slow = (t: number) => t >= end - 40 * 60 && t < end - 20 * 60;
  const job = 'job="webhook",instance="webhook:9464"';
  const route = 'route="/webhooks/stripe"';
  const lines: string[] = [];
  const series = (name: string, labels: string, value: (t: number, i: number) => number | undefined) => {
    times.forEach((t, i) => {
      const v = value(t, i);
      if (v !== undefined) lines.push(`${name}{${labels}} ${v} ${t}`);
    });
  };

  // Counters: per-scrape increments, summed.
  const ok: number[] = [];
  const bad: number[] = [];
  let okSum = 0;
  let badSum = 0;
  for (const t of times) {
    const minute = (t - start) / 60;
    okSum += outage(t) ? 0 : Math.round(SCRAPE * (2 + 1.5 * Math.sin(minute / 25)));
    badSum += outage(t) ? 0 : errorBurst(t) ? 9 : t % 120 === 0 ? 1 : 0;
    ok.push(okSum);
    bad.push(badSum);
  }
  const live = (t: number, v: number) => (outage(t) ? undefined : v);

  series('up', 'job="prometheus",instance="localhost:9090"', () => 1);
  series('up', job, (t) => (outage(t) ? 0 : 1));
  series('webhook_requests_total', `${job},method="POST",${route},status="200",source="external"`, (t, i) =>
    live(t, ok[i] ?? 0),
  );
  series('webhook_requests_total', `${job},method="POST",${route},status="400",source="external"`, (t, i) =>
    live(t, bad[i] ?? 0),
  );
  series('webhook_errors_total', `${job},type="signature"`, (t, i) => live(t, bad[i] ?? 0));
  series('webhook_signature_failures_total', `${job},reason="signature_mismatch"`, (t, i) => live(t, bad[i] ?? 0));
  series('webhook_events_by_type_total', `${job},type="charge.succeeded",source="external"`, (t, i) =>
    live(t, ok[i] ?? 0),
  );
  series('webhook_events_processed_total', `${job},outcome="success",source="external"`, (t, i) => live(t, ok[i] ?? 0));
  // Latency: most requests under 25 ms, 10 % under 100 ms; in the slow spell 10 % take up to 500 ms.
  const buckets: Array<[string, (t: number) => number]> = [
    ['0.01', () => 0.6],
    ['0.025', () => 0.85],
    ['0.05', (t) => (slow(t) ? 0.88 : 0.97)],
    ['0.1', (t) => (slow(t) ? 0.9 : 1)],
    ['0.25', (t) => (slow(t) ? 0.92 : 1)],
    ['0.5', () => 1],
    ['+Inf', () => 1],
  ];
  for (const [le, share] of buckets) {
    let sum = 0;
    const counts = times.map((t, i) => {
      const requests = (ok[i] ?? 0) - (ok[i - 1] ?? 0) + (bad[i] ?? 0) - (bad[i - 1] ?? 0);
      sum += Math.round(requests * share(t));
      return sum;
    });
    series(
      'webhook_request_duration_seconds_bucket',
      `${job},${route},status="200",source="external",le="${le}"`,
      (t, i) => live(t, counts[i] ?? 0),
    );
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

let prometheus: Daemon | undefined;
let dir: string;
let configFile: string;

beforeAll(async () => {
  if (skipReason) return;
  dir = await tempDir('wmon-report-shots-');
  const end = Math.floor(Date.now() / 1000);
  prometheus = await startPrometheus(
    () => ({ 'prometheus.yml': `global:\n  scrape_interval: ${SCRAPE}s\n  evaluation_interval: ${SCRAPE}s\n` }),
    {
      plain: true,
      prepare: async (promDir) => {
        const input = path.join(promDir, 'history.om');
        await writeFile(input, history(end));
        execFileSync(
          promTool('promtool'),
          ['tsdb', 'create-blocks-from', 'openmetrics', input, path.join(promDir, 'data')],
          { stdio: 'pipe', timeout: 120_000 },
        );
      },
    },
  );
  configFile = path.join(dir, 'wmon.yaml');
  await writeFile(
    configFile,
    `project: shots
components:
  prometheus: {bindAddress: 127.0.0.1, port: ${prometheus.port}}
  alertmanager: {enabled: false}
  nodeExporter: {enabled: false}
  webhook: {enabled: false}
  grafana: {enabled: false}
  loki: {enabled: false}
  jaeger: {enabled: false}
service:
  scrapeTarget: webhook:9464
`,
  );
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
});

/** How far apart the tick labels of the time axis should be, by window (the charts' span). */
const CASES = [
  { window: '24h', clamped: true, tickMinutes: 30 },
  { window: '1h', clamped: false, tickMinutes: 10 },
  { window: '15m', clamped: false, tickMinutes: 5 },
] as const;

/** `#rrggbb`'s pixels in a decoded PNG (within a small tolerance for anti-aliasing). */
function pixelsOf(png: PNG, hex: string, tolerance = 24): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (
      Math.abs((png.data[i] ?? 0) - r) <= tolerance &&
      Math.abs((png.data[i + 1] ?? 0) - g) <= tolerance &&
      Math.abs((png.data[i + 2] ?? 0) - b) <= tolerance
    )
      n++;
  }
  return n;
}

describe.skipIf(skipReason !== undefined)(
  `the HTML report in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it.each(CASES)(
      '$window: charts over the data that exists, a labelled time axis, lines and thresholds a user can see',
      async ({ window, clamped, tickMinutes }) => {
        const cli = (args: string[]) => wmon([...args, '--config', configFile, '--fail-on', 'never'], { cwd: dir });
        const json = await cli(['report', '--window', window, '--json']);
        const report = jsonOutput(json, reportJsonSchema);
        expect(report.charts.clamped).toBe(clamped);
        if (clamped) {
          // The data starts three hours back (to a scrape), not 24 hours.
          expect(Math.abs(report.charts.seconds - HISTORY)).toBeLessThanOrEqual(2 * SCRAPE);
        } else {
          expect(report.charts.seconds).toBe(report.windowSeconds);
        }
        expect(report.requests.series.filter(([, v]) => v !== null).length).toBeGreaterThan(20);

        const htmlFile = path.join(dir, `report-${window}.html`);
        const r = await cli(['report', '--window', window, '--format', 'html', '--output', htmlFile]);
        expect(r.exitCode, r.stderr).toBe(0);
        const html = await readFile(htmlFile, 'utf8');
        if (clamped)
          expect(html).toMatch(
            /The stack's data starts at .*: the charts and the rates, ratios and percentiles show those 3 h( \d+ min)?, not 24h/,
          );
        else expect(html).not.toContain("The stack's data starts");

        // Each chart: a title, a description, axis titles, and time ticks `tickMinutes` apart.
        const svgs = html.match(/<svg [\s\S]*?<\/svg>/g) ?? [];
        expect(svgs).toHaveLength(4);
        for (const svg of svgs) {
          expect(svg).toMatch(/<title id="[\w-]+-title">[^<]+<\/title><desc id="[\w-]+-desc">\d+ points from /);
          expect(svg).toContain('>time (UTC)</text>');
          const labels = [...svg.matchAll(/text-anchor="middle">(\d\d):(\d\d)<\/text>/g)].map(
            (m) => Number(m[1]) * 60 + Number(m[2]),
          );
          expect(labels.length, svg.slice(0, 200)).toBeGreaterThanOrEqual(3);
          const gaps = labels.slice(1).map((m, i) => (m - (labels[i] ?? 0) + 1440) % 1440);
          expect(new Set(gaps)).toEqual(new Set([tickMinutes]));
        }
        // The latency chart is scaled to its data: the 1000 ms threshold is noted, not drawn at the top.
        const latency = svgs[2] ?? '';
        expect(latency).toContain('critical 1,000 ms: above the scale ↑');
        // Availability keeps its 0–100 % scale.
        expect(svgs[3]).toContain('>100%</text>');
        expect(svgs[3]).not.toContain('>200%</text>');

        const png = path.join(dir, `report-${window}.png`);
        const shot = spawnSync(
          chromium ?? 'chromium',
          [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--hide-scrollbars',
            `--window-size=${VIEWPORT.width},${VIEWPORT.height}`,
            `--screenshot=${png}`,
            `file://${htmlFile}`,
          ],
          { encoding: 'utf8', timeout: 90_000 },
        );
        expect(shot.status, `${shot.stdout}\n${shot.stderr}`).toBe(0);
        // WMON_SCREENSHOTS=DIR keeps the screenshots, to look at them.
        if (process.env.WMON_SCREENSHOTS) {
          await mkdir(process.env.WMON_SCREENSHOTS, { recursive: true });
          await copyFile(png, path.join(process.env.WMON_SCREENSHOTS, `report-${window}.png`));
        }
        const image = PNG.sync.read(await readFile(png));
        expect([image.width, image.height]).toEqual([VIEWPORT.width, VIEWPORT.height]);
        // Not blank: many colours, and the series' blue and the thresholds' red are drawn.
        const colours = new Set<number>();
        for (let i = 0; i < image.data.length; i += 4 * 7) colours.add(image.data.readUInt32BE(i));
        expect(colours.size).toBeGreaterThan(50);
        expect(pixelsOf(image, '#2563eb')).toBeGreaterThan(1500);
        expect(pixelsOf(image, '#dc2626') + pixelsOf(image, '#b91c1c')).toBeGreaterThan(60);
      },
      120_000,
    );
  },
);
