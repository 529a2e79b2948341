/** SQLite's file header, read without SQLite (https://www.sqlite.org/fileformat.html#the_database_header). */

/** The 100-byte header: what it says, or what is wrong with it. */
export function readDbHeader(
  head: Buffer,
  size: number,
): { problem: string } | { pageSize: number; pages: number; schemaVersion: number } {
  if (size < 100 || head.length < 100) return { problem: `it is ${size} bytes, too small to be an SQLite database` };
  if (head.subarray(0, 16).toString('latin1') !== 'SQLite format 3\u0000')
    return { problem: 'it is not an SQLite database (no "SQLite format 3" header)' };
  const raw = head.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    return { problem: `its header names an invalid page size (${raw})` };
  if (size % pageSize !== 0)
    return { problem: `its size (${size} bytes) is not a whole number of ${pageSize}-byte pages` };
  const pages = head.readUInt32BE(28);
  const valid = head.readUInt32BE(24) === head.readUInt32BE(92);
  if (valid && pages * pageSize !== size)
    return { problem: `its header says ${pages} pages of ${pageSize} bytes, the file is ${size} bytes (cut short?)` };
  return { pageSize, pages: size / pageSize, schemaVersion: head.readUInt32BE(60) };
}
