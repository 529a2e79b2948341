/**
 * Setting values in a wmon.yaml that a person wrote, keeping it theirs: where every value already exists,
 * only those values' text changes (comments, alignment and order stay byte for byte); where one is missing,
 * the yaml package's Document adds it and writes the file again, comments kept.
 */
import { Document, isScalar, parseDocument, stringify } from 'yaml';

import { WmonError } from '../../errors.js';

export interface ConfigSetting {
  /** Keys from the root, e.g. `['components', 'grafana', 'enabled']`. */
  readonly path: readonly string[];
  readonly value: string | boolean;
}

/** `text` with each setting applied. Refuses a file that is not YAML (CONFIG_INVALID). */
export function applySettings(file: string, text: string, settings: readonly ConfigSetting[]): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new WmonError(`${file} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, {
      code: 'CONFIG_INVALID',
      suggestions: [`Fix ${file}, or use --print to see the lines to add yourself.`],
    });
  }
  const splices: { start: number; end: number; text: string }[] = [];
  for (const s of settings) {
    const node = doc.getIn(s.path, true);
    if (!isScalar(node) || node.range === undefined || node.range === null) {
      for (const t of settings) doc.setIn(t.path, t.value);
      return doc.toString({ flowCollectionPadding: false });
    }
    if (node.value === s.value) continue;
    splices.push({ start: node.range[0], end: node.range[1], text: scalarText(s.value) });
  }
  let out = text;
  for (const sp of splices.sort((a, b) => b.start - a.start))
    out = out.slice(0, sp.start) + sp.text + out.slice(sp.end);
  return out;
}

/** The settings as YAML lines to merge into wmon.yaml by hand. */
export function settingsYaml(settings: readonly ConfigSetting[]): string {
  const doc = new Document({});
  for (const s of settings) doc.setIn(s.path, s.value);
  return doc.toString();
}

function scalarText(value: string | boolean): string {
  return stringify(value).trimEnd();
}
