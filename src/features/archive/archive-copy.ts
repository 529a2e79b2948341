/**
 * Copying entries of an archive, verified earlier, into a folder of a container: the archive is read again
 * from its start and streamed through a tar the engine unpacks (putArchive), entry by entry, as the caller
 * chooses; its sha256 must still be the one it had when verified. Restore's Prometheus data, the service's
 * database and the logs and traces volumes all go back into their volumes this way.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Transform } from 'node:stream';

import type { ContainerRuntime } from '../../adapters/runtime/index.js';
import { readTar, TarReadError, type EntryHandler } from './tar-reader.js';
import { TarWriter } from './tar-writer.js';
import { ArchiveError, openArchiveFile, type VerifiedArchive } from './verify.js';

/** The archive differs from what was verified: ARCHIVE_CHANGED, naming the problem. */
export function archiveChanged(archive: VerifiedArchive, problem: string): ArchiveError {
  return new ArchiveError(archive.file, 'ARCHIVE_CHANGED', [`it changed after it was verified: ${problem}`]);
}

/**
 * Stream `archive` through `onEntry`, which writes what it wants of each entry to `out`, into `dir` of
 * `container`; `done` checks what was written once every entry was read. Any difference with what was
 * verified (a tar that no longer reads, another sha256, what `onEntry` or `done` find) is ARCHIVE_CHANGED.
 */
export async function copyFromArchive(
  runtime: ContainerRuntime,
  container: string,
  dir: string,
  archive: VerifiedArchive,
  onEntry: (out: TarWriter, ...entry: Parameters<EntryHandler>) => Promise<void>,
  done: () => void = () => undefined,
): Promise<void> {
  const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  const put = runtime.putArchive(container, dir, stream);
  // The engine refusing the copy stops the writing (else it waits on a stream nobody reads).
  put.catch((error: unknown) => stream.destroy(error as Error));
  const out = new TarWriter(stream);
  const archiveHash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      archiveHash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    const { handle } = await openArchiveFile(archive.file, (problem) => {
      throw archiveChanged(archive, problem);
    });
    await readTar(
      handle.createReadStream({ start: 0, highWaterMark: 1024 * 1024 }).pipe(tap),
      { gunzip: true },
      (h, body) => onEntry(out, h, body),
    );
    done();
    if (archiveHash.digest('hex') !== archive.sha256) throw archiveChanged(archive, 'its sha256 differs');
    await out.end();
  } catch (error) {
    stream.destroy(error as Error);
    // The archive passed the same reader when it was verified: failing now means it changed since.
    if (error instanceof TarReadError) throw archiveChanged(archive, error.message);
    throw error;
  }
  await put;
}
