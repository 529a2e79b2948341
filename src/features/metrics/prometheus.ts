/**
 * Prometheus as `metrics` and `report` reach it: the component's host URL from the Stack model, and a clear
 * error (exit 69, no stack trace) when it does not answer, since every figure comes from it.
 */
import { isComponentRequestError, type PrometheusClient, type QueryResult } from '../../adapters/clients/index.js';
import type { StackContext } from '../../context.js';
import { WmonError } from '../../errors.js';

export interface PrometheusHandle {
  readonly client: PrometheusClient;
  readonly url: string;
}

export function prometheusFor(ctx: StackContext, command: string, timeoutMs: number): PrometheusHandle {
  const model = ctx.component('prometheus');
  const client = ctx.clientsWith(timeoutMs).prometheus;
  if (!model || !client) {
    throw new WmonError(
      `wmon ${command} reads its figures from Prometheus, which is switched off in ${ctx.loaded.file}.`,
      {
        code: 'PROMETHEUS_DISABLED',
        suggestions: ['Set components.prometheus.enabled: true and run `wmon init`.'],
      },
    );
  }
  return { client, url: model.url };
}

/** Run `fn`; a Prometheus that cannot be reached becomes one clear WmonError (exit 69). */
export async function withPrometheus<T>(handle: PrometheusHandle, command: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isComponentRequestError(error) && error.component === 'Prometheus') {
      const unreachable =
        error.failure === 'connection-refused' || error.failure === 'timeout' || error.failure === 'network';
      throw new WmonError(
        unreachable
          ? `Prometheus is unreachable at ${handle.url} (${error.failure === 'timeout' ? `no answer within ${error.timeoutMs} ms` : error.failure.replace('-', ' ')}): wmon ${command} reads every figure from it.`
          : `Prometheus at ${handle.url} could not answer wmon ${command}: ${error.message}`,
        {
          code: unreachable ? 'PROMETHEUS_UNREACHABLE' : 'PROMETHEUS_QUERY_FAILED',
          suggestions: unreachable
            ? ['Is the stack up? `wmon check` shows every component; `wmon init` starts it.']
            : [...error.suggestions],
        },
      );
    }
    throw error;
  }
}

/** The single value of an instant query (the sum when several series come back); null without data or NaN. */
export function singleValue(result: QueryResult): number | null {
  let values: number[] = [];
  if (result.resultType === 'vector') values = result.result.map((s) => s.sample.value);
  else if (result.resultType === 'scalar') values = [result.result.value];
  const finite = values.filter((v) => !Number.isNaN(v));
  if (finite.length === 0) return null;
  const sum = finite.reduce((a, b) => a + b, 0);
  return Number.isFinite(sum) ? sum : null;
}
