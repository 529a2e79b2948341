/** `wmon reconcile`: what Stripe has that the service never stored. */
import Table from 'cli-table3';

import type { ReconcileResultJson } from '../../results.js';

export function formatReconcile(r: ReconcileResultJson): string {
  const lines: string[] = [];
  const window = `Stripe listed ${r.listed} event(s) created since ${r.since} (${r.pages} page(s)).`;
  if (r.missingCount === 0) {
    lines.push(`${window} The service has stored every one of them.`);
  } else {
    const table = new Table({
      head: ['id', 'type', 'created', ...(r.replay ? ['recovered'] : [])],
      style: { head: [], border: [] },
    });
    for (const m of r.missing)
      table.push([m.id, m.type, m.created, ...(r.replay ? [m.recovered ? 'yes' : 'no (already delivered)'] : [])]);
    lines.push(`${window} ${r.missingCount} never reached the service:`, table.toString());
    if (r.truncated)
      lines.push(`(the first ${r.missing.length} of ${r.missingCount} are listed; --json gives the same)`);
    lines.push(
      r.replay
        ? `Recovered ${r.recovered}: stored and queued for processing, each once.`
        : 'Run `wmon reconcile --replay` to store and process them (each once).',
    );
  }
  if (r.warning) lines.push(`Warning: ${r.warning}`);
  return lines.join('\n');
}
