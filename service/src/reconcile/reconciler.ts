/**
 * Reconcile with Stripe: list the events Stripe created in a window (its List Events API, newest first,
 * paginated with `starting_after` until `has_more` is false), compare their ids with the store, and accept
 * the missing ones, fetched again with Retrieve Event, through the same path as a webhook delivery
 * (stored, deduplicated, processed once) with `source` = reconcile.
 *
 * Safety: one run at a time (a request arriving during a run waits for it, one at most); at most
 * `maxPages` pages per run; a 429 waits for its Retry-After (bounded) before the same call again; only an
 * event the API itself returned for this key's account is ever stored.
 */
import type { Logger } from 'pino';
import Stripe from 'stripe';
import {
  RECONCILE_MAX_LISTED,
  RECONCILE_WINDOW_BOUNDS,
  type MissingEvent,
  type ReconcileErrorReason,
  type ReconcileResult,
} from '@wmon/contract';
import type { ReconcileConfig } from '../config.js';
import { DatabaseError } from '../store/types.js';
import { acceptEvent, type AcceptDeps } from '../webhook/accept.js';
import { parseEvent } from '../webhook/event.js';

export interface ReconcileOptions {
  /** Pages of 100 events read per run at most (default 100: 10,000 events). */
  readonly maxPages?: number;
  /** Attempts of one API call answered 429 before the run fails (default 5). */
  readonly maxRateLimitRetries?: number;
  /** The longest Retry-After honoured, in ms (default 60 s); longer ones wait this long. */
  readonly maxRetryAfterMs?: number;
}

export interface RunRequest {
  readonly sinceSeconds?: number;
  readonly replay?: boolean;
  readonly trigger: 'timer' | 'request';
}

/** A run is already waiting behind the one in progress. */
export class ReconcileBusyError extends Error {
  constructor() {
    super('a reconcile is already running and another is waiting; try again when they finish');
    this.name = 'ReconcileBusyError';
  }
}

class ReconcileFailure extends Error {
  constructor(
    readonly reason: ReconcileErrorReason,
    message: string,
  ) {
    super(message);
  }
}

const PAGE_SIZE = 100;
const KEY_PATTERN = /\b(sk|rk|pk)_(test|live)_[A-Za-z0-9]+/g;

/** A message from Stripe or the network, with any API key in it masked (Stripe echoes a masked one; be sure). */
function scrub(message: string, key: string): string {
  return message
    .split(key)
    .join('[redacted]')
    .replace(KEY_PATTERN, (k) => `${k.slice(0, 8)}****`);
}

export class Reconciler {
  readonly #stripe: Stripe;
  readonly #maxPages: number;
  readonly #maxRetries: number;
  readonly #maxRetryAfterMs: number;
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;
  #last: ReconcileResult = { status: 'never' };
  #lastSuccessAt: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  readonly #sleeps = new Set<() => void>();

  constructor(
    private readonly deps: AcceptDeps & { readonly log: Logger },
    private readonly config: ReconcileConfig,
    options: ReconcileOptions = {},
  ) {
    this.#stripe = new Stripe(config.apiKey, {
      host: config.api.host,
      port: config.api.port,
      protocol: config.api.protocol,
      // 429s are retried here, honouring Retry-After; the library would not wait for it.
      maxNetworkRetries: 0,
      timeout: 20_000,
      telemetry: false,
      appInfo: { name: 'wmon-webhook' },
    });
    this.#maxPages = options.maxPages ?? 100;
    this.#maxRetries = options.maxRateLimitRetries ?? 5;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  }

  /** Reconcile shortly after start-up, then every interval. */
  start(firstDelayMs = 15_000): void {
    const tick = (delay: number) => {
      this.#timer = setTimeout(() => {
        void this.run({ trigger: 'timer' })
          .catch(() => undefined)
          .finally(() => {
            if (!this.#stopping) tick(this.config.intervalSeconds * 1000);
          });
      }, delay);
      this.#timer.unref();
    };
    tick(Math.min(firstDelayMs, this.config.intervalSeconds * 1000));
  }

  /** Stop the timer, cut short any wait for a Retry-After, and wait for the run in progress. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const wake of this.#sleeps) wake();
    await this.#tail.catch(() => undefined);
  }

  /** The last run's result (`status: never` before the first). */
  last(): ReconcileResult {
    return this.#last;
  }

  /** Run now, after the run in progress if any. Throws ReconcileBusyError when one is already waiting. */
  run(request: RunRequest): Promise<ReconcileResult> {
    if (this.#queued >= 2) return Promise.reject(new ReconcileBusyError());
    this.#queued++;
    const next = this.#tail.catch(() => undefined).then(() => this.#run(request));
    this.#tail = next.finally(() => this.#queued--);
    return next;
  }

  async #run(request: RunRequest): Promise<ReconcileResult> {
    const { m } = this.deps.metrics;
    const log = this.deps.log;
    const startedAt = new Date();
    const windowSeconds = Math.min(
      RECONCILE_WINDOW_BOUNDS.maxSeconds,
      Math.max(RECONCILE_WINDOW_BOUNDS.minSeconds, Math.floor(request.sinceSeconds ?? this.config.windowSeconds)),
    );
    const replay = request.replay ?? (request.trigger === 'timer' ? this.config.replay : false);
    const now = Math.floor(startedAt.getTime() / 1000);
    const since = now - windowSeconds;
    const until = now - this.config.graceSeconds;
    const base = {
      trigger: request.trigger,
      startedAt: startedAt.toISOString(),
      since: new Date(since * 1000).toISOString(),
      replay,
    } as const;

    let listed = 0;
    let pages = 0;
    let missingCount = 0;
    let recovered = 0;
    const missing: MissingEvent[] = [];
    let shortOf: { reason: ReconcileErrorReason; message: string } | undefined;
    try {
      let startingAfter: string | undefined;
      for (;;) {
        if (this.#stopping) throw new ReconcileFailure('api', 'the service is shutting down');
        if (pages >= this.#maxPages) {
          shortOf = {
            reason: 'page_limit',
            message: `stopped after ${pages} pages (${listed} events): events older than the last one listed were not compared; shorten the window`,
          };
          break;
        }
        const page = await this.#call(() =>
          this.#stripe.events.list({
            created: { gte: since, lte: until },
            limit: PAGE_SIZE,
            ...(this.config.eventTypes.length > 0 ? { types: [...this.config.eventTypes] } : {}),
            ...(startingAfter ? { starting_after: startingAfter } : {}),
          }),
        );
        pages++;
        const events = page.data.filter((e) => typeof e?.id === 'string');
        listed += events.length;
        const known = await this.deps.store.knownIds(events.map((e) => e.id));
        for (const e of events) {
          if (known.has(e.id)) continue;
          missingCount++;
          let stored = false;
          if (replay) stored = await this.#recover(e.id);
          if (stored) recovered++;
          if (missing.length < RECONCILE_MAX_LISTED)
            missing.push({ id: e.id, type: e.type, created: e.created, recovered: stored });
        }
        const lastEvent = events.at(-1);
        if (!page.has_more || lastEvent === undefined) break;
        startingAfter = lastEvent.id;
      }
    } catch (err) {
      const failure = this.#classify(err);
      m.reconcileErrors.inc({ reason: failure.reason });
      log.error(
        { reason: failure.reason, err: failure.message, pages, listed, recovered },
        'reconcile with Stripe failed: %s',
        failure.message,
      );
      this.#last = {
        status: 'error',
        ...base,
        finishedAt: new Date().toISOString(),
        listed,
        pages,
        missingCount,
        missing,
        recovered,
        error: { reason: failure.reason, message: failure.message },
        ...(this.#lastSuccessAt ? { lastSuccessAt: this.#lastSuccessAt } : {}),
      };
      return this.#last;
    }
    if (shortOf) {
      m.reconcileErrors.inc({ reason: shortOf.reason });
      log.warn({ reason: shortOf.reason, pages, listed }, 'reconcile with Stripe: %s', shortOf.message);
    }
    const finishedAt = new Date();
    this.#lastSuccessAt = finishedAt.toISOString();
    m.reconcileMissing.set(missingCount);
    m.reconcileLastSuccess.set(Math.floor(finishedAt.getTime() / 1000));
    const summary = { pages, listed, missing: missingCount, recovered, replay, trigger: request.trigger };
    if (missingCount > 0)
      log.warn(
        { ...summary, ids: missing.slice(0, 20).map((e) => e.id) },
        'reconcile with Stripe: %d events were never stored',
        missingCount,
      );
    else log.info(summary, 'reconcile with Stripe: nothing missing');
    this.#last = {
      status: 'ok',
      ...base,
      finishedAt: this.#lastSuccessAt,
      listed,
      pages,
      missingCount,
      missing,
      recovered,
      ...(shortOf ? { error: shortOf } : {}),
      lastSuccessAt: this.#lastSuccessAt,
    };
    return this.#last;
  }

  /**
   * Fetch one missing event from the API and accept it. True when this call stored it; false when it was
   * stored meanwhile (a webhook delivery won the race: it is processed once, by that path).
   */
  async #recover(id: string): Promise<boolean> {
    const event = await this.#call(() => this.#stripe.events.retrieve(id));
    if (event.id !== id) throw new ReconcileFailure('api', `Stripe answered event ${String(event.id)} for ${id}`);
    const livemode = this.config.apiKey.includes('_live_');
    if (event.livemode !== livemode) {
      throw new ReconcileFailure(
        'invalid_event',
        `event ${id} has livemode ${String(event.livemode)}, but the API key is a ${livemode ? 'live' : 'test'} one`,
      );
    }
    const payload = JSON.stringify(event);
    const parsed = parseEvent(payload);
    if (!parsed.ok) throw new ReconcileFailure('invalid_event', `event ${id}: ${parsed.message}`);
    const accepted = await acceptEvent(this.deps, parsed.event, payload, 'reconcile');
    if (accepted === 'new') {
      this.deps.metrics.m.reconcileRecovered.inc();
      this.deps.log.info({ eventId: id, eventType: event.type }, 'recovered an event that never arrived');
      return true;
    }
    return false;
  }

  /** One API call; on 429 wait for Retry-After (bounded, else exponential from 1 s) and call again. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof Stripe.errors.StripeRateLimitError) || attempt > this.#maxRetries || this.#stopping)
          throw err;
        const header = err.headers?.['retry-after'];
        const seconds = header === undefined ? NaN : Number(header);
        const waitMs = Math.min(
          this.#maxRetryAfterMs,
          Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000 * 2 ** (attempt - 1),
        );
        this.deps.log.warn({ attempt, waitMs }, 'Stripe answered 429 (rate limited); waiting before the same call');
        await this.#sleep(waitMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleeps.add(wake);
    });
  }

  #classify(err: unknown): ReconcileFailure {
    if (err instanceof ReconcileFailure) return err;
    const key = this.config.apiKey;
    if (err instanceof DatabaseError)
      return new ReconcileFailure('database', `the store did not answer: ${err.message}`);
    if (err instanceof Stripe.errors.StripeError) {
      const said = scrub(err.message, key);
      if (
        err instanceof Stripe.errors.StripeAuthenticationError ||
        err instanceof Stripe.errors.StripePermissionError
      ) {
        return new ReconcileFailure(
          'authentication',
          `Stripe refused the API key (HTTP ${err.statusCode ?? '?'}: ${said}); set STRIPE_API_KEY_FILE to a file holding a restricted key with read access to events (rk_live_… or rk_test_…)`,
        );
      }
      if (err instanceof Stripe.errors.StripeRateLimitError)
        return new ReconcileFailure('rate_limited', `Stripe kept answering 429 (rate limited): ${said}`);
      if (err instanceof Stripe.errors.StripeConnectionError)
        return new ReconcileFailure(
          'connection',
          `Stripe's API (${this.config.api.protocol}://${this.config.api.host}:${this.config.api.port}) is not reachable: ${said}`,
        );
      return new ReconcileFailure('api', `Stripe answered HTTP ${err.statusCode ?? '?'}: ${said}`);
    }
    return new ReconcileFailure('api', scrub(err instanceof Error ? err.message : String(err), key));
  }
}
