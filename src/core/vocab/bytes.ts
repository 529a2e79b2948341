/** Byte sizes as people write and read them, in binary units (1K = 1024 bytes, as `ls -h` and Docker count). */

const UNIT_BYTES = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 } as const;

/** Bytes in a size such as `100G`, `512M`, `1.5T`, `64KiB` or `4096`; undefined when it is not one. */
export function parseBytes(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_BYTES[m[2]!.toLowerCase() as keyof typeof UNIT_BYTES]);
}

/** A size for people: `512 B`, `1.5 KiB`, `212.0 MiB`, `100.0 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
