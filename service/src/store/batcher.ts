/**
 * Group commit: callers submit single operations; the batcher hands them to `flush` in batches, one
 * transaction per batch. While a flush is in flight the next batch accumulates, and under load flushes
 * are at least `lingerMs` apart, so batches grow by themselves and throughput does not collapse into one
 * commit per request; a lone request after a quiet spell is flushed at once (no added latency).
 *
 * `flush` rejects when the whole batch failed (every caller gets the error), or answers per operation: a
 * result, or an ItemFailure for an operation the database refused on its own while the others committed.
 */
export class Batcher<I, O> {
  #queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idleWaiters: (() => void)[] = [];
  #lastFlushAt = -Infinity;

  constructor(
    private readonly flush: (items: I[]) => Promise<(O | ItemFailure)[]>,
    private readonly options: { readonly maxBatch: number; readonly maxInFlight: number; readonly lingerMs?: number },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /** Operations submitted and not yet settled. */
  get size(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Resolve when every submitted operation has settled. */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.options.maxInFlight) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      this.#run();
    };
    const wait = this.#lastFlushAt + (this.options.lingerMs ?? 0) - performance.now();
    // Busy: wait out the linger so more operations share the commit. Quiet: flush after the current I/O
    // phase has added its requests.
    if (wait > 0 && this.#queue.length < this.options.maxBatch) setTimeout(run, wait);
    else setImmediate(run);
  }

  #run(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.options.maxInFlight) {
      const batch = this.#queue.splice(0, this.options.maxBatch);
      this.#inFlight++;
      this.#lastFlushAt = performance.now();
      this.flush(batch.map((b) => b.item))
        .then(
          (results) => {
            for (let i = 0; i < batch.length; i++) {
              const r = results[i];
              if (r instanceof ItemFailure) batch[i]!.reject(r.error);
              else batch[i]!.resolve(r as O);
            }
          },
          (err: unknown) => {
            for (const b of batch) b.reject(err);
          },
        )
        .finally(() => {
          this.#inFlight--;
          if (this.#queue.length > 0) this.#schedule();
          else if (this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
        });
    }
  }
}

/** One operation of a batch that failed on its own (the rest of the batch committed without it). */
export class ItemFailure {
  constructor(readonly error: Error) {}
}
