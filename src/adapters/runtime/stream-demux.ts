/**
 * Docker's multiplexed output (logs and exec of a container without a TTY): frames of an 8-byte header
 * (stream type 0/1/2, three zero bytes, big-endian length) and a payload. A TTY container's output is not
 * framed: it comes back as it is.
 */
export interface Demultiplexed {
  /** stdout and stderr interleaved in the order they came. */
  readonly text: string;
  readonly stdout: string;
  readonly stderr: string;
}

function looksFramed(buf: Buffer): boolean {
  if (buf.length < 8) return false;
  const type = buf[0] ?? 255;
  return type <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0 && 8 + buf.readUInt32BE(4) <= buf.length;
}

export function demultiplex(buf: Buffer): Demultiplexed {
  if (buf.length === 0) return { text: '', stdout: '', stderr: '' };
  if (!looksFramed(buf)) {
    const text = buf.toString('utf8');
    return { text, stdout: text, stderr: '' };
  }
  const all: Buffer[] = [];
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    const type = buf[offset];
    const length = buf.readUInt32BE(offset + 4);
    const payload = buf.subarray(offset + 8, Math.min(buf.length, offset + 8 + length));
    all.push(payload);
    (type === 2 ? err : out).push(payload);
    offset += 8 + length;
  }
  return {
    text: Buffer.concat(all).toString('utf8'),
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}
