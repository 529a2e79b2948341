import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ConfigError, ERRORS, EXIT_CODES, WmonError, type ErrorCode } from '../src/errors.js';
import { REPO } from './support/cli.js';

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name));
}

describe('ERRORS, the table of error codes', () => {
  it('has only codes that some part of wmon raises', async () => {
    const files = await sourceFiles(path.join(REPO, 'src'));
    const texts = await Promise.all(files.map((f) => readFile(f, 'utf8')));
    // Everything but the table itself (src/errors.ts raises CONFIG_INVALID).
    const source = texts.join('\n').replace(/export const ERRORS = \{[\s\S]*?\n\} as const/, '');
    // ARCHIVE_* codes are passed as arguments, the others as `code:`; either way as a string literal.
    const unused = (Object.keys(ERRORS) as ErrorCode[]).filter((code) => !source.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('names codes as SCREAMING_SNAKE_CASE, each with an exit code and a meaning', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(EXIT_CODES[spec.exit], code).toBeDefined();
      expect(spec.meaning.length, code).toBeGreaterThan(10);
    }
  });
});

describe('WmonError', () => {
  it('exits with the code of its error code', () => {
    expect(new WmonError('x', { code: 'PORT_TAKEN' }).exit).toBe(75);
    expect(new WmonError('x', { code: 'BAD_SIZE' }).exit).toBe(2);
    const config = new ConfigError('wmon.yaml', [{ path: 'ports', message: 'bad' }]);
    expect(config).toMatchObject({ code: 'CONFIG_INVALID', exit: 78 });
  });

  it("takes its cause's exit code only where the table says so", () => {
    const cause = new WmonError('Grafana is down', { code: 'COMPONENT_CONNECTION_REFUSED' });
    const rolledBack = new WmonError('rolled back', { code: 'RESTORE_ROLLED_BACK', cause });
    expect(rolledBack.exit).toBe(69);
    expect(rolledBack.cause).toBe(cause);
    // Without a WmonError as cause: the table's exit code.
    expect(new WmonError('rolled back', { code: 'RESTORE_ROLLED_BACK', cause: new Error('boom') }).exit).toBe(75);
    expect(new WmonError('rolled back', { code: 'RESTORE_ROLLED_BACK' }).exit).toBe(75);
    const full = new WmonError('full', { code: 'BACKUP_WRITE_FAILED' });
    expect(new WmonError('no backup', { code: 'RESET_BACKUP_FAILED', cause: full }).exit).toBe(73);
    // Any other code keeps its own.
    expect(new WmonError('x', { code: 'RESTORE_ROLLBACK_FAILED', cause }).exit).toBe(69);
    expect(new WmonError('x', { code: 'VOLUME_FULL', cause: new WmonError('y', { code: 'PORT_TAKEN' }) }).exit).toBe(
      73,
    );
  });
});
