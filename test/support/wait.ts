export interface EventuallyOptions {
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Pause between tries (default 250 ms). */
  readonly intervalMs?: number;
}

/**
 * Try `check` until it gives a value (anything but undefined) and return that value; a try that throws
 * counts as "not yet". After `timeoutMs` it fails, naming `what` and the last error. For waiting on
 * something that happens in its own time (a daemon ready, a scrape done, a container exited); never a
 * timed assertion: only the deadline is a time.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  opts: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not true after ${timeoutMs} ms${last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : String(last)})`}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
