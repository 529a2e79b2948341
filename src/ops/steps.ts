/**
 * Operations (init, update, reset, down, backup, restore) are lists of named steps over a typed state that
 * grows honestly: a step declares what it needs (its input type) and what it adds (its output type), and a
 * pipeline's state type is exactly what the steps before have added. Nothing is cast from an empty object.
 *
 * How progress is shown is not the library's business: a pipeline hands its steps to a Reporter, which runs
 * them in order and shows them (listr2 on a terminal, plain lines in CI logs, nothing for --json: those live
 * in src/cli/reporters.ts). The library's default reporter runs the steps and shows nothing.
 */

/** What a running step may tell its reporter. */
export interface StepIO {
  /** One line of progress (the latest replaces the previous on a terminal). */
  output(line: string): void;
  /** The step has nothing to do (it still returns its output, e.g. `null` for what it would have made). */
  skip(reason: string): void;
}

/** One named step: reads `In`, returns what it adds to the state. */
export interface Step<In, Out extends object> {
  readonly title: string;
  run(state: In, io: StepIO): Promise<Out>;
}

/** A step as a reporter sees it: a title and a function to run. */
export interface ReportedStep {
  readonly title: string;
  run(io: StepIO): Promise<void>;
}

/** Runs steps in order, showing them as it likes; the first failure stops the run and propagates. */
export interface Reporter {
  run(steps: readonly ReportedStep[]): Promise<void>;
}

/** Runs the steps and shows nothing: the default of every operation (and what --json uses). */
export const silentReporter: Reporter = {
  async run(steps) {
    const io: StepIO = { output: () => undefined, skip: () => undefined };
    for (const step of steps) await step.run(io);
  },
};

/** A reporter that also records what it was told, for tests and for callers that summarise a run. */
export function recordingReporter(): Reporter & { readonly events: string[] } {
  const events: string[] = [];
  return {
    events,
    async run(steps) {
      for (const step of steps) {
        events.push(`start ${step.title}`);
        try {
          await step.run({
            output: (line) => events.push(`  ${line}`),
            skip: (reason) => events.push(`skip ${step.title}: ${reason}`),
          });
        } catch (error) {
          events.push(`fail ${step.title}: ${(error as Error).message.split('\n')[0]}`);
          throw error;
        }
        events.push(`done ${step.title}`);
      }
    },
  };
}

/**
 * `A` with `B`'s fields added. A later step may replace a field an earlier one set, with a value of the same
 * type (an intersection, so steps written for a smaller state also fit a larger one).
 */
export type Merge<A, B> = A & B;

/** Where a pipeline's failure happened, and the state as it was then (restore needs both to roll back). */
export interface PipelineTrace {
  step?: string;
  state?: object;
}

/**
 * Steps chained so that each sees the state its predecessors built: `pipeline<In>().then(a).then(b)` is a
 * `Pipeline<In, In & A & B>`. Immutable: `then` returns a new pipeline, so shared prefixes can be reused.
 */
export class Pipeline<In extends object, S extends object> {
  private constructor(private readonly steps: ReadonlyArray<Step<never, object>>) {}

  static start<In extends object>(): Pipeline<In, In> {
    return new Pipeline<In, In>([]);
  }

  then<Out extends object>(step: Step<S, Out>): Pipeline<In, Merge<S, Out>> {
    return new Pipeline<In, Merge<S, Out>>([...this.steps, step as unknown as Step<never, object>]);
  }

  /** Steps of another pipeline that starts from what this one has built. */
  append<Out extends object>(other: Pipeline<S, Out>): Pipeline<In, Out> {
    return new Pipeline<In, Out>([...this.steps, ...other.steps]);
  }

  /** The same steps under other titles (e.g. marked as a rollback). */
  relabel(title: (title: string) => string): Pipeline<In, S> {
    return new Pipeline<In, S>(this.steps.map((s) => ({ ...s, title: title(s.title), run: s.run.bind(s) })));
  }

  get titles(): readonly string[] {
    return this.steps.map((s) => s.title);
  }

  /** Run every step in order under `reporter`; `trace` (when given) says where a failure happened. */
  async run(initial: In, reporter: Reporter = silentReporter, trace: PipelineTrace = {}): Promise<S> {
    let state: object = initial;
    trace.state = state;
    await reporter.run(
      this.steps.map((step) => ({
        title: step.title,
        run: async (io: StepIO) => {
          trace.step = step.title;
          const out = await step.run(state as never, io);
          state = { ...state, ...out };
          trace.state = state;
        },
      })),
    );
    return state as S;
  }
}

/** The state a pipeline ends with. */
export type StateOf<P> = P extends Pipeline<object, infer S> ? S : never;

/** A pipeline from `In`. */
export function pipeline<In extends object>(): Pipeline<In, In> {
  return Pipeline.start<In>();
}
