import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { closest, distance } from 'fastest-levenshtein';
import { isMap, isScalar, LineCounter, parseDocument, type Scalar } from 'yaml';
import type { z } from 'zod';

import { ConfigError, WmonError, type ConfigIssue } from '../../errors.js';
import { configSchema, type Config } from './schema.js';
import { checkSecrets } from './secrets.js';

export const DEFAULT_CONFIG_FILE = 'wmon.yaml';

export interface LoadedConfig {
  /** Absolute path of wmon.yaml (it may not exist when defaults were used). */
  readonly file: string;
  /** Folder that relative paths in the file are resolved against. */
  readonly dir: string;
  readonly config: Config;
  /** Whether the file existed. */
  readonly exists: boolean;
}

export interface LoadOptions {
  /** Environment used to resolve secrets from variables (defaults to process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** When the file does not exist: use the defaults (init) instead of failing. */
  readonly allowMissing?: boolean;
}

/** Read, parse and validate wmon.yaml. Every problem is reported at once, as `path: message`. */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.allowMissing) {
      return { file: abs, dir, config: deepFreeze(configSchema.parse({})), exists: false };
    }
    if (code === 'ENOENT') {
      throw new WmonError(`${file} does not exist.`, {
        code: 'CONFIG_MISSING',
        suggestions: ['Run `wmon init` to create it with defaults, or pass --config PATH.'],
      });
    }
    throw new WmonError(`${file} cannot be read: ${(error as Error).message}`, {
      code: 'CONFIG_UNREADABLE',
      suggestions: ['Check the file permissions, or pass --config PATH.'],
    });
  }
  const config = parseConfigText(text, file);
  const secretIssues = checkSecrets(config, { env: opts.env ?? process.env, baseDir: dir });
  if (secretIssues.length > 0) {
    throw new ConfigError(file, secretIssues, [
      'Set the named environment variables or create the named files, or remove the channel from wmon.yaml.',
    ]);
  }
  return { file: abs, dir, config: deepFreeze(config), exists: true };
}

/** Parse and validate the text of a wmon.yaml (no secret checks). `file` names it in errors. */
export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      // The yaml library ends its message with the position ("… at line 3, column 5:"): said once, in front.
      const message = firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '');
      return { path: pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)', message };
    });
    throw new ConfigError(file, issues, ['Fix the YAML syntax at the given position.']);
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '(root)', message: 'must be a mapping of settings (key: value)' }]);
  }
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;

  // The line of the key at a path (where a reader looks), else of the nearest node that exists.
  const lineOf = (p: readonly PropertyKey[]): number | undefined => {
    for (let n = p.length; n >= 0; n--) {
      const parent = doc.getIn(p.slice(0, Math.max(0, n - 1)) as unknown[], true);
      const last = p[n - 1];
      if (n > 0 && isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === last);
        const range = (pair?.key as Scalar | undefined)?.range;
        if (range) return lineCounter.linePos(range[0]).line;
      }
      const node = doc.getIn(p.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const issues: Array<ConfigIssue & { line: number }> = [];
  const push = (issue: ConfigIssue, line: number | undefined) =>
    issues.push({ ...withLine(issue, line), line: line ?? Number.MAX_SAFE_INTEGER });
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(configSchema, issue.path);
      for (const key of issue.keys) {
        const keyPath = [...issue.path, key];
        const guess = known.length > 0 ? closest(key, known) : undefined;
        const hint =
          guess && distance(key, guess) <= Math.max(2, Math.floor(key.length / 3))
            ? `; did you mean "${guess}"?`
            : known.length > 0
              ? `; known keys here: ${known.join(', ')}`
              : '';
        push({ path: formatPath(keyPath), message: `unknown key${hint}` }, lineOf(keyPath));
      }
      continue;
    }
    push({ path: formatPath(issue.path), message: describeIssue(issue) }, lineOf(issue.path));
  }
  // In file order, so the message reads top to bottom like wmon.yaml.
  issues.sort((a, b) => a.line - b.line);
  throw new ConfigError(
    file,
    issues.map(({ path: p, message }) => ({ path: p, message })),
  );
}

function withLine(issue: ConfigIssue, line: number | undefined): ConfigIssue {
  return line === undefined ? issue : { ...issue, message: `${issue.message} (line ${line})` };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const expected = issue.expected;
    const input = (issue as { input?: unknown }).input;
    if (input === undefined) return `is required (expected ${expected})`;
    // Custom messages (e.g. "must be a port number") win over zod's generic one.
    if (!issue.message.startsWith('Invalid input')) return issue.message;
    return `must be ${article(expected)} ${expected}, got ${describeValue(input)}`;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `components.grafana.port`, `notifications.email.to[0]`. */
export function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const part of p) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

type AnySchema = z.core.$ZodType;

/** The keys an object schema accepts at a path (for "did you mean"). */
function knownKeysAt(schema: AnySchema, p: readonly PropertyKey[]): string[] {
  let current: AnySchema | undefined = unwrap(schema);
  for (const part of p) {
    if (!current) return [];
    const def = current._zod.def as { type: string; shape?: Record<string, AnySchema>; element?: AnySchema };
    if (def.type === 'object' && def.shape && typeof part === 'string') current = unwrap(def.shape[part]);
    else if (def.type === 'array' && def.element) current = unwrap(def.element);
    else return [];
  }
  const def = current?._zod.def as { type: string; shape?: Record<string, AnySchema> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape).sort() : [];
}

function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let s = schema;
  for (let i = 0; s && i < 10; i++) {
    const def = s._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
