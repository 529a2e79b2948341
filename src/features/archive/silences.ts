/**
 * Alertmanager silences in a backup: the active and pending ones (expired silences silence nothing). A
 * restore adds those that are missing and still in force, and never removes a silence: one set during the
 * incident the restore is part of must stay.
 */
import type { AlertmanagerClient, Silence } from '../../adapters/clients/index.js';
import type { SilenceRecord } from './manifest.js';

export async function collectSilences(am: AlertmanagerClient): Promise<SilenceRecord[]> {
  const all = await am.silences();
  return all
    .filter((s) => s.state !== 'expired')
    .map((s) => ({
      id: s.id,
      state: s.state,
      matchers: s.matchers.map((m) => ({
        name: m.name,
        value: m.value,
        isRegex: m.isRegex,
        isEqual: m.isEqual ?? true,
      })),
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      createdBy: s.createdBy,
      comment: s.comment,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Two silences are the same when they match the same alerts, end together and say the same. */
function key(s: Pick<Silence, 'matchers' | 'endsAt' | 'createdBy' | 'comment'>): string {
  const matchers = s.matchers
    .map((m) => [m.name, m.value, m.isRegex, m.isEqual ?? true] as const)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return JSON.stringify([matchers, new Date(s.endsAt).getTime(), s.createdBy, s.comment]);
}

export interface SilencesRestored {
  /** Added to Alertmanager. */
  readonly restored: number;
  /** Already there (an equal silence in force). */
  readonly present: number;
  /** Ended since the backup: not restored. */
  readonly expired: number;
  /** Ids of the silences added (a rollback expires them). */
  readonly createdIds: readonly string[];
}

export async function restoreSilences(
  am: AlertmanagerClient,
  records: readonly SilenceRecord[],
  now = new Date(),
): Promise<SilencesRestored> {
  const current = new Set((await am.silences()).filter((s) => s.state !== 'expired').map(key));
  let present = 0;
  let expired = 0;
  const createdIds: string[] = [];
  for (const r of records) {
    if (new Date(r.endsAt).getTime() <= now.getTime()) {
      expired += 1;
      continue;
    }
    if (current.has(key(r))) {
      present += 1;
      continue;
    }
    const startsAt = new Date(r.startsAt).getTime() > now.getTime() ? r.startsAt : now;
    createdIds.push(
      await am.createSilence({
        matchers: r.matchers,
        startsAt,
        endsAt: r.endsAt,
        createdBy: r.createdBy,
        comment: r.comment,
      }),
    );
    current.add(key(r));
  }
  return { restored: createdIds.length, present, expired, createdIds };
}

/** Every silence of `records` still in force must be in Alertmanager. */
export async function checkSilences(
  am: AlertmanagerClient,
  records: readonly SilenceRecord[],
  now = new Date(),
): Promise<string[]> {
  const current = new Set((await am.silences()).filter((s) => s.state !== 'expired').map(key));
  return records
    .filter((r) => new Date(r.endsAt).getTime() > now.getTime() && !current.has(key(r)))
    .map(
      (r) =>
        `the silence "${r.comment}" (${r.matchers.map((m) => `${m.name}${m.isEqual === false ? '!' : ''}${m.isRegex ? '=~' : '='}"${m.value}"`).join(', ')}) is not in Alertmanager`,
    );
}
