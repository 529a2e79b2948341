/**
 * Each enabled component answers its readiness probe (the Stack model's, the one `wmon init` waits on). The
 * webhook service's readiness also says which dependency fails. Prometheus is special: it is how wmon
 * sees the stack, so when it does not answer the state of the stack is UNKNOWN, not CRITICAL (the
 * engine's container check says CRITICAL when its container is down).
 */
import { basicAuthHeader, ReadinessError, waitForHttp } from '../../../adapters/runtime/readiness.js';
import type { ClientTls } from '../../../core/model/container-types.js';
import type { ComponentModel } from '../../../core/model/stack.js';
import type { HealthContext } from '../context.js';
import { componentFailure } from '../failure.js';
import { checkTask, row, type CheckTask } from '../runner.js';

/** One readiness probe, no retries: the answer, or what stood in for one. */
async function probeOnce(
  url: string,
  bodyIncludes: string | undefined,
  timeoutMs: number,
  auth: { readonly username: string; readonly password: string } | undefined,
  tls: ClientTls | undefined,
): Promise<{ ok: true; status: number } | { ok: false; answered: boolean; last: string }> {
  try {
    const r = await waitForHttp({
      url,
      timeoutMs,
      attemptTimeoutMs: timeoutMs,
      ...(bodyIncludes === undefined ? {} : { bodyIncludes }),
      ...(auth ? { headers: { Authorization: basicAuthHeader(auth) } } : {}),
      ...(tls ? { tls } : {}),
      giveUpIf: async () => 'a single probe',
    });
    return { ok: true, status: r.status };
  } catch (error) {
    if (error instanceof ReadinessError)
      return { ok: false, answered: error.lastAnswer.startsWith('HTTP '), last: error.lastAnswer };
    throw error;
  }
}

function readinessTask(ctx: HealthContext, c: ComponentModel): CheckTask {
  const spec = { group: 'ready', id: `ready.${c.id}`, component: c.id, check: 'ready' } as const;
  const url = `${c.privateUrl ?? c.url}${c.readiness.path}`;
  if (c.id === 'webhook' && ctx.clients.service) {
    const service = ctx.clients.service;
    // Readiness is answered on the service's internal listener.
    const at = c.privateUrl ?? c.url;
    return checkTask(ctx, spec, async (self) => {
      try {
        const r = await service.readyz();
        const deps = r.dependencies
          .map((d) => `${d.name} ${d.ok ? 'ok' : `failing${d.detail ? ` (${d.detail})` : ''}`}`)
          .join(', ');
        if (r.ready) return [row(self, 'OK', `ready at ${at} (${deps || 'no dependencies reported'})`)];
        return [
          row(
            self,
            'CRITICAL',
            `not ready at ${at}: HTTP ${r.status}${r.state ? ` ${r.state}` : ''}${deps ? `; ${deps}` : ''}`,
          ),
        ];
      } catch (error) {
        const f = componentFailure(error, `the webhook service at ${at}`);
        return [row(self, f.status, f.detail)];
      }
    });
  }
  return checkTask(ctx, spec, async (self) => {
    const auth = c.readiness.authenticated ? ctx.webAuth() : undefined;
    const tls = c.readiness.tls ? ctx.webTls() : undefined;
    const r = await probeOnce(url, c.readiness.bodyIncludes, ctx.timeoutMs, auth, tls);
    if (r.ok) return [row(self, 'OK', `ready (GET ${url}: HTTP ${r.status})`)];
    if (c.id === 'prometheus' && !r.answered) {
      return [row(self, 'UNKNOWN', `Prometheus is unreachable at ${c.url} (${r.last}): the stack cannot be observed`)];
    }
    return [
      row(
        self,
        'CRITICAL',
        r.answered ? `not ready: GET ${url} answered ${r.last}` : `not answering at ${c.url} (${r.last})`,
      ),
    ];
  });
}

export function readinessTasks(ctx: HealthContext): CheckTask[] {
  return ctx.stack.components.map((c) => readinessTask(ctx, c));
}
