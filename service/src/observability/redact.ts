/**
 * Credentials never reach a log line or an error message: the user-info part of any URL
 * (`postgres://user:password@host` → `postgres://***@host`), password-like query parameters, and every
 * secret value the configuration holds, wherever it appears (an error may quote one another way).
 */

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/gi;
const SECRET_PARAM = /([?&;](?:password|passwd|pass|pwd|sslpassword|secret|token|auth)=)[^&;\s"'#]*/gi;
const MASK = '***';

/** Mask the credentials of every URL in `text`. */
export function redactUrls(text: string): string {
  return text.replace(URL_USERINFO, `$1${MASK}@`).replace(SECRET_PARAM, `$1${MASK}`);
}

/** The password of a URL (also in its query), as written and decoded; empty when none or unparsable. */
export function urlCredentials(url: string | undefined): string[] {
  if (url === undefined) return [];
  try {
    const u = new URL(url);
    const params = [...u.searchParams].flatMap(([k, v]) => (/pass|secret|token|auth/i.test(k) ? [v] : []));
    const out = [u.password, ...params];
    return [...out, ...out.map((v) => safeDecode(v))];
  } catch {
    return [];
  }
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/**
 * A function masking URL credentials and each of `secrets` (values shorter than 4 characters are left:
 * masking them would garble ordinary text, and they are not secrets worth the name).
 */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = redactUrls(text);
    for (const v of values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  };
}
