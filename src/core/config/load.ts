import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';

import { closest, distance } from 'fastest-levenshtein';
import { CST, isAlias, isMap, isScalar, isSeq, Lexer, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';

import { ConfigError, WmonError, type ConfigIssue } from '../../errors.js';
import { nonRegularKind, type FileKindInfo } from '../vocab/file-kind.js';
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
  /** The file's bytes as they were read and checked (a backup keeps these, rather than read it again). */
  readonly source?: Buffer;
}

export interface LoadOptions {
  /** Environment used to resolve secrets from variables (defaults to process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** When the file does not exist: use the defaults (init) instead of failing. */
  readonly allowMissing?: boolean;
}

/**
 * Bounds on wmon.yaml, checked before it is read (size) and before it is built (the rest), so that no file
 * costs more than a fraction of a second and a few MiB, whoever wrote it. A real wmon.yaml is a few KiB with
 * a few hundred keys. The README lists them (Configuration: limits).
 */
export const CONFIG_LIMITS = {
  /** Size of the file, in bytes. */
  maxBytes: 1024 * 1024,
  /** Keys, values and list items together. */
  maxNodes: 10_000,
  /** Mappings and lists inside each other. */
  maxDepth: 32,
  /** One key, value or comment, in characters. */
  maxStringLength: 64 * 1024,
  /** Aliases (`*name`) resolved while building the settings: the `yaml` package's maxAliasCount. */
  maxAliasCount: 100,
} as const;

/** Read, parse and validate wmon.yaml. Every problem is reported at once, as `path: message`. */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const source = await readConfigFile(abs, file);
  if (source === undefined) {
    if (opts.allowMissing) return { file: abs, dir, config: deepFreeze(configSchema.parse({})), exists: false };
    throw new WmonError(`${file} does not exist.`, {
      code: 'CONFIG_MISSING',
      suggestions: ['Run `wmon init` to create it with defaults, or pass --config PATH.'],
    });
  }
  const config = parseConfigText(source.toString('utf8'), file);
  const secretIssues = checkSecrets(config, { env: opts.env ?? process.env, baseDir: dir });
  if (secretIssues.length > 0) {
    throw new ConfigError(file, secretIssues, [
      'Set the named environment variables or create the named files, or remove the channel from wmon.yaml.',
    ]);
  }
  return { file: abs, dir, config: deepFreeze(config), exists: true, source };
}

/**
 * The bytes of wmon.yaml, or undefined when there is no such file. Only a regular file of at most
 * CONFIG_LIMITS.maxBytes is read: its kind and size are checked before it is opened, and again on the open
 * file (the path may have changed in between); it is opened without blocking, so a FIFO put there meanwhile
 * cannot make wmon wait for a writer, and never more than the limit is read.
 */
async function readConfigFile(abs: string, shown: string): Promise<Buffer | undefined> {
  const unreadable = (error: unknown) =>
    new WmonError(`${shown} cannot be read: ${(error as Error).message}`, {
      code: 'CONFIG_UNREADABLE',
      suggestions: ['Check the file permissions, or pass --config PATH.'],
    });
  const check = (info: { size: number } & FileKindInfo) => {
    const kind = nonRegularKind(info);
    if (kind) {
      throw new WmonError(`${shown} is ${kind}, not a regular file: wmon reads its configuration from a file.`, {
        code: 'CONFIG_UNREADABLE',
        suggestions: ['Pass --config with the path of a wmon.yaml file.'],
      });
    }
    if (info.size > CONFIG_LIMITS.maxBytes) throw configTooLarge(shown, `it is ${info.size} bytes`);
  };
  try {
    check(await stat(abs));
  } catch (error) {
    if (error instanceof WmonError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(error);
  }
  let handle;
  try {
    handle = await open(abs, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(error);
  }
  try {
    check(await handle.stat());
    // One byte more than the limit tells a file that grew since it was checked.
    const buffer = Buffer.alloc(CONFIG_LIMITS.maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) throw configTooLarge(shown, 'it grew while it was read');
    }
    return Buffer.from(buffer.subarray(0, length));
  } catch (error) {
    if (error instanceof WmonError) throw error;
    throw unreadable(error);
  } finally {
    await handle.close();
  }
}

function configTooLarge(file: string, what: string, limit = `${CONFIG_LIMITS.maxBytes} bytes (1 MiB)`): ConfigError {
  return new ConfigError(
    file,
    [{ path: '(file)', message: `${what}; a wmon.yaml may have at most ${limit}` }],
    ['A wmon.yaml holds a few hundred settings: check that --config names the right file.'],
    'CONFIG_TOO_LARGE',
  );
}

/**
 * Check the bounds of CONFIG_LIMITS on the tokens of the text, before any document is built: the lexer is
 * streaming and cheap, and stops at the first bound passed, so a hostile file costs little.
 */
function checkTokens(text: string, file: string): void {
  let nodes = 0;
  let flowDepth = 0;
  let line = 1;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (token.length > CONFIG_LIMITS.maxStringLength) {
      throw configTooLarge(
        file,
        `line ${line} has a key, value or comment of ${token.length} characters`,
        `${CONFIG_LIMITS.maxStringLength} characters in one`,
      );
    }
    switch (type) {
      case 'newline':
        line += 1;
        continue;
      case 'space':
      case 'comment':
        for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) line += 1;
        continue;
      case 'flow-map-start':
      case 'flow-seq-start':
        flowDepth += 1;
        if (flowDepth > CONFIG_LIMITS.maxDepth) {
          throw configTooLarge(
            file,
            `line ${line} nests lists and mappings more than ${CONFIG_LIMITS.maxDepth} deep`,
            `${CONFIG_LIMITS.maxDepth} levels`,
          );
        }
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        flowDepth = Math.max(0, flowDepth - 1);
        continue;
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'alias':
        break;
      default:
        if (type === null) for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) line += 1;
        continue;
    }
    nodes += 1;
    if (nodes > CONFIG_LIMITS.maxNodes) {
      throw configTooLarge(
        file,
        `it has more than ${CONFIG_LIMITS.maxNodes} keys, values and list items (at line ${line})`,
        `${CONFIG_LIMITS.maxNodes} of them`,
      );
    }
  }
}

/** The key of a path in the table of key lines (zod's issue paths use the same parts). */
const pathKey = (p: readonly PropertyKey[]) => JSON.stringify(p.map((x) => (typeof x === 'number' ? x : String(x))));

/**
 * Walk the document once (aliases are not followed): nesting within the bound, every key a plain scalar and
 * unique in its mapping. Returns the line of every key and list item by path, for the messages.
 */
function checkStructure(root: Node | null, file: string, lineCounter: LineCounter): Map<string, number> {
  const lines = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  const lineAt = (node: { range?: [number, number, number] | null } | null | undefined) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  const rootLine = lineAt(root);
  if (rootLine !== undefined) lines.set(pathKey([]), rootLine);
  const stack: Array<{ node: unknown; path: PropertyKey[]; depth: number }> = [{ node: root, path: [], depth: 1 }];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { node, path: at, depth } = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > CONFIG_LIMITS.maxDepth) {
      throw configTooLarge(
        file,
        `${formatPath(at) || '(root)'} (line ${lineAt(node as Node) ?? '?'}) nests lists and mappings more than ${CONFIG_LIMITS.maxDepth} deep`,
        `${CONFIG_LIMITS.maxDepth} levels`,
      );
    }
    if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const line = lineAt(item as Node);
        if (line !== undefined) lines.set(pathKey([...at, i]), line);
        stack.push({ node: item, path: [...at, i], depth: depth + 1 });
      });
      continue;
    }
    const seen = new Map<string, number | undefined>();
    for (const pair of node.items) {
      const key = pair.key;
      const line = lineAt(key as Node);
      if (key !== null && !isScalar(key)) {
        issues.push({
          path: formatPath(at) || '(root)',
          message: `a key that is ${isAlias(key) ? 'an alias' : 'a list or mapping'}; keys are plain names (line ${line ?? '?'})`,
        });
        continue;
      }
      const name = String(key?.value ?? '');
      const keyPath = [...at, name];
      if (seen.has(name)) {
        issues.push({
          path: formatPath(keyPath),
          message: `is set twice (lines ${seen.get(name) ?? '?'} and ${line ?? '?'}); keep one`,
        });
        continue;
      }
      seen.set(name, line);
      if (line !== undefined) lines.set(pathKey(keyPath), line);
      stack.push({ node: pair.value, path: keyPath, depth: depth + 1 });
    }
  }
  if (issues.length > 0) throw new ConfigError(file, issues);
  return lines;
}

/** At most this many problems are listed (the count says how many more). */
const MAX_ISSUES = 50;

function capped<T extends ConfigIssue>(issues: readonly T[]): ConfigIssue[] {
  if (issues.length <= MAX_ISSUES) return [...issues];
  return [...issues.slice(0, MAX_ISSUES), { path: '…', message: `and ${issues.length - MAX_ISSUES} more problems` }];
}

/**
 * Parse and validate the text of a wmon.yaml (no secret checks). `file` names it in errors. Within
 * CONFIG_LIMITS, and in time linear in its size; beyond them it is refused (CONFIG_TOO_LARGE).
 */
export function parseConfigText(text: string, file: string): Config {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > CONFIG_LIMITS.maxBytes) throw configTooLarge(file, `it is ${size} bytes`);
  checkTokens(text, file);
  const lineCounter = new LineCounter();
  // Duplicate keys are found by checkStructure: the yaml package's own check compares every key of a
  // mapping with every other (quadratic in the number of keys).
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      // The yaml library ends its message with the position ("… at line 3, column 5:"): said once, in front.
      const message = firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '');
      return { path: pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)', message };
    });
    throw new ConfigError(file, capped(issues), ['Fix the YAML syntax at the given position.']);
  }
  const keyLines = checkStructure(doc.contents, file, lineCounter);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: CONFIG_LIMITS.maxAliasCount }) ?? {};
  } catch (error) {
    // The yaml package throws a ReferenceError for an alias bomb and for an alias without its anchor.
    if (!(error instanceof ReferenceError)) throw error;
    const bomb = /excessive alias count/i.test(error.message);
    throw new ConfigError(
      file,
      [
        {
          path: '(aliases)',
          message: bomb
            ? `aliases (*name) expand to more than the ${CONFIG_LIMITS.maxAliasCount} copies a wmon.yaml may build`
            : firstLine(error.message),
        },
      ],
      [
        bomb
          ? 'Write the settings out instead of nesting aliases of aliases.'
          : 'Define each anchor (&name) before its alias.',
      ],
      bomb ? 'CONFIG_TOO_LARGE' : 'CONFIG_INVALID',
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '(root)', message: 'must be a mapping of settings (key: value)' }]);
  }
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;

  // The line of the key at a path (where a reader looks), else of the nearest one that exists.
  const lineOf = (p: readonly PropertyKey[]): number | undefined => {
    for (let n = p.length; n >= 0; n--) {
      const line = keyLines.get(pathKey(p.slice(0, n)));
      if (line !== undefined) return line;
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
  throw new ConfigError(file, capped(issues.map(({ path: p, message }) => ({ path: p, message }))));
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
