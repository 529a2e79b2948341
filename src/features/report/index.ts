/**
 * `wmon report`: the model (model.ts) in one of four formats, written to stdout or a file, and appended as
 * Markdown to $GITHUB_STEP_SUMMARY when GitHub Actions sets it.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { WmonError } from '../../errors.js';
import type { ReportJson } from '../../results.js';
import { toHtml } from './html.js';
import { toJunit } from './junit.js';
import { toMarkdown } from './markdown.js';

export { buildReport, type ReportOptions } from './model.js';
export { FAIL_ON, reportExitCode, type FailOn } from './test-cases.js';

export const REPORT_FORMATS = ['markdown', 'json', 'html', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function formatReport(report: ReportJson, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'html':
      return toHtml(report);
    case 'junit':
      return toJunit(report);
    default:
      return toMarkdown(report);
  }
}

export async function writeReportFile(file: string, text: string): Promise<string> {
  const abs = path.resolve(file);
  try {
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, text);
  } catch (error) {
    throw new WmonError(`Cannot write the report to ${abs}: ${(error as Error).message}`, {
      code: 'REPORT_WRITE_FAILED',
      suggestions: ['Check that the folder exists and is writable, or choose another --output.'],
    });
  }
  return abs;
}

/** Append the Markdown report to the GitHub Actions job summary (the file $GITHUB_STEP_SUMMARY names). */
export async function appendStepSummary(file: string, report: ReportJson): Promise<void> {
  try {
    await appendFile(file, `${toMarkdown(report)}\n`);
  } catch (error) {
    throw new WmonError(`Cannot append the report to $GITHUB_STEP_SUMMARY (${file}): ${(error as Error).message}`, {
      code: 'STEP_SUMMARY_WRITE_FAILED',
    });
  }
}
