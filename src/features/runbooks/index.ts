/**
 * The runbooks wmon ships: one markdown file per alert in the package's runbooks/ folder (`wmon runbook`).
 * Each starts with `# <alert>` and a `**Severity** <level>` line; test/features/runbooks checks that every
 * alert wmon renders has one and that no runbook is left without its alert.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

import { closest, distance } from 'fastest-levenshtein';

import { WmonError } from '../../errors.js';
import { RUNBOOKS_DIR } from '../../package.js';

export interface RunbookEntry {
  readonly alert: string;
  /** critical, warning or info, from the runbook's `**Severity**` line. */
  readonly severity: string;
  /** The first sentence of "What it means". */
  readonly summary: string;
  /** Absolute path of the markdown file. */
  readonly file: string;
}

export interface Runbook extends RunbookEntry {
  readonly markdown: string;
}

/** Alert names are identifiers; anything else is refused before it gets near a path. */
const ALERT_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
/** A runbook is a page of text; a larger file is not one of ours. */
const MAX_RUNBOOK_BYTES = 64 * 1024;
const MAX_RUNBOOKS = 500;

async function readRunbookFile(file: string, alert: string): Promise<Runbook> {
  const markdown = await readFile(file, 'utf8');
  if (Buffer.byteLength(markdown) > MAX_RUNBOOK_BYTES) {
    throw new Error(`runbook ${file} is larger than ${MAX_RUNBOOK_BYTES} bytes`);
  }
  const severity = /^\*\*Severity\*\* (\w+)/m.exec(markdown)?.[1] ?? 'unknown';
  const meaning = /\*\*What it means\.\*\* ([\s\S]*?\.)(\s|$)/.exec(markdown)?.[1] ?? '';
  return { alert, severity, summary: meaning.replace(/\s+/g, ' '), file, markdown };
}

/** Names of the alerts that have a runbook, sorted. */
export async function runbookNames(dir: string = RUNBOOKS_DIR): Promise<string[]> {
  const names = (await readdir(dir))
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => f.slice(0, -'.md'.length))
    .filter((name) => ALERT_NAME.test(name))
    .sort();
  return names.slice(0, MAX_RUNBOOKS);
}

/** Every runbook, without its text, sorted by alert name. */
export async function listRunbooks(dir: string = RUNBOOKS_DIR): Promise<RunbookEntry[]> {
  const names = await runbookNames(dir);
  const all = await Promise.all(names.map((n) => readRunbookFile(path.join(dir, `${n}.md`), n)));
  return all.map(({ alert, severity, summary, file }) => ({ alert, severity, summary, file }));
}

/** One alert's runbook; the name is matched ignoring case. An unknown name is a usage error listing the names. */
export async function readRunbook(alert: string, dir: string = RUNBOOKS_DIR): Promise<Runbook> {
  const names = await runbookNames(dir);
  const name = ALERT_NAME.test(alert) ? names.find((n) => n.toLowerCase() === alert.toLowerCase()) : undefined;
  if (name) return readRunbookFile(path.join(dir, `${name}.md`), name);
  const shown = alert.length > 64 ? `${alert.slice(0, 64)}…` : alert;
  const guess = names.length > 0 && alert.length <= 64 ? closest(alert, names) : undefined;
  const near = guess && distance(alert.toLowerCase(), guess.toLowerCase()) <= 3 ? guess : undefined;
  throw new WmonError(`There is no runbook for an alert named "${shown}".${near ? ` Did you mean ${near}?` : ''}`, {
    code: 'RUNBOOK_UNKNOWN',
    suggestions: [
      `Alerts with a runbook: ${names.join(', ')}.`,
      'Run `wmon runbook` to list them with their severity.',
    ],
  });
}
