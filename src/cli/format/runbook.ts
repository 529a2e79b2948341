/** `wmon runbook`: the list of runbooks, or one runbook's markdown as it is. */
import Table from 'cli-table3';

import type { RunbookResultJson } from '../../results.js';

export function formatRunbook(r: RunbookResultJson): string {
  if (r.markdown !== null) return r.markdown.trimEnd();
  const table = new Table({
    head: ['alert', 'severity', 'what it means'],
    style: { head: [], border: [] },
    colWidths: [null, null, 70],
    wordWrap: true,
  });
  for (const rb of r.runbooks) table.push([rb.alert, rb.severity, rb.summary]);
  return [table.toString(), 'Print one with `wmon runbook <alert>`.'].join('\n');
}
