/**
 * Secret files readable by other users of the host: a WARNING (the stack still works), naming each file,
 * its mode and the chmod that fixes it.
 */
import { secretFilePermissions } from '../../../adapters/stack-dir/secrets.js';
import { certificateState, loadTls } from '../../../core/config/tls.js';
import type { HealthContext } from '../context.js';
import { checkTask, row, type CheckTask } from '../runner.js';

export function secretFileTasks(ctx: HealthContext): CheckTask[] {
  return [
    checkTask(
      ctx,
      { group: 'secrets', id: 'secrets.files', component: 'wmon', check: 'secret files' },
      async (self) => {
        const { checked, exposed } = await secretFilePermissions(ctx.loaded, ctx.stackDir);
        if (exposed.length === 0) {
          return [row(self, 'OK', `${checked} secret file${checked === 1 ? '' : 's'} readable only by their owner`)];
        }
        return [
          row(
            self,
            'WARNING',
            `${exposed.length} of ${checked} secret files can be read by other users: ${exposed
              .map((e) => `${e.path} (${e.what}, mode ${e.mode}; fix: ${e.fix})`)
              .join('; ')}`,
          ),
        ];
      },
    ),
    ...tlsCertificateTasks(ctx),
  ];
}

/**
 * With auth.tls: the certificate the components serve. A WARNING (the stack still answers, but clients will
 * soon refuse it) when it has expired, is not valid yet, or ends within CERT_EXPIRY_WARNING_DAYS.
 */
export function tlsCertificateTasks(ctx: HealthContext, now: () => Date = () => new Date()): CheckTask[] {
  if (!ctx.config.auth?.tls) return [];
  return [
    checkTask(
      ctx,
      { group: 'secrets', id: 'secrets.tls', component: 'wmon', check: 'tls certificate' },
      async (self) => {
        const r = loadTls(ctx.config, ctx.loaded.dir);
        if (!r) return [];
        if (!r.ok) {
          const problems = r.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
          return [row(self, 'CRITICAL', `the TLS files named in wmon.yaml are not usable: ${problems}`)];
        }
        const m = r.material;
        const day = (d: Date) => d.toISOString().slice(0, 10);
        const st = certificateState(m, now());
        const what = `${m.certFile} (for ${m.serverName})`;
        switch (st.state) {
          case 'valid':
            return [row(self, 'OK', `${what} is valid until ${day(m.notAfter)} (${st.daysLeft} days left)`)];
          case 'expiring':
            return [
              row(
                self,
                'WARNING',
                `${what} expires on ${day(m.notAfter)} (${st.daysLeft} day${st.daysLeft === 1 ? '' : 's'} left): renew it, then run wmon update`,
              ),
            ];
          case 'expired':
            return [
              row(
                self,
                'WARNING',
                `${what} expired on ${day(st.since)}: clients refuse it; renew it, then run wmon update`,
              ),
            ];
          case 'not-yet-valid':
            return [
              row(
                self,
                'WARNING',
                `${what} is not valid before ${day(st.from)}: clients refuse it until then (check the clock)`,
              ),
            ];
        }
      },
    ),
  ];
}
