/**
 * Group commit: callers submit single operations; the batcher hands them to `flush` in batches, one
 * transaction per batch. While a flush is in flight the next batch accumulates, so under load batches
 * grow by themselves and throughput does not collapse into one commit per request, while a lone request
 * is flushed at once (no timer, no added latency).
 */
export class Batcher<I, O> {
  #queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idleWaiters: (() => void)[] = [];

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly options: { readonly maxBatch: number; readonly maxInFlight: number },
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
    // Let the current I/O phase add its requests to this batch before flushing.
    setImmediate(() => {
      this.#scheduled = false;
      this.#run();
    });
  }

  #run(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.options.maxInFlight) {
      const batch = this.#queue.splice(0, this.options.maxBatch);
      this.#inFlight++;
      this.flush(batch.map((b) => b.item)).then(
        (results) => {
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i] as O);
        },
        (err: unknown) => {
          for (const b of batch) b.reject(err);
        },
      ).finally(() => {
        this.#inFlight--;
        if (this.#queue.length > 0) this.#schedule();
        else if (this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
      });
    }
  }
}
