import { describe, expect, it } from 'vitest';
import { SECRET_FILES, SECRETS_MOUNT_DIR, SERVICE_SECRET_ENV, secretPath } from '../src/index.js';

describe('secret files', () => {
  it('places every secret in the mounted folder, under a distinct plain file name', () => {
    const names = Object.values(SECRET_FILES);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z_]*$/);
    expect(secretPath('stripeWebhookSecret')).toBe(`${SECRETS_MOUNT_DIR}/stripe_webhook_secret`);
  });

  it('points the service at each of its secrets by <NAME>_FILE', () => {
    for (const [key, env] of Object.entries(SERVICE_SECRET_ENV)) {
      expect(env.file, key).toBe(`${env.value}_FILE`);
      expect(key in SECRET_FILES, key).toBe(true);
    }
  });
});
