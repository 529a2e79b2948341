import { z } from 'zod';

/**
 * Where a secret comes from: exactly one of an environment variable or a file. Secrets never appear in
 * wmon.yaml itself, in logs, or in --json output.
 */
export const secretRefSchema = z
  .strictObject({
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as SLACK_WEBHOOK_URL')
      .optional(),
    file: z.string().min(1, 'must be a file path').optional(),
  })
  .refine((s) => (s.env === undefined) !== (s.file === undefined), {
    message: 'give exactly one of env (an environment variable name) or file (a path)',
  });
export type SecretRef = z.output<typeof secretRefSchema>;

/**
 * `basicAuth`: a user name (written into the rendered file) and its password as a secret reference (written
 * only into a file in the component's secrets folder).
 */
export const basicAuthSchema = z.strictObject({
  username: z
    .string()
    .min(1, 'must not be empty')
    .max(256, 'must be at most 256 characters')
    .regex(/^[\x20-\x7e\x80-\uffff]*$/, 'must be one line of text')
    .refine((u) => !u.includes(':'), 'must not hold a colon (basic auth separates the user from the password by one)'),
  password: secretRefSchema,
});
export type BasicAuth = z.output<typeof basicAuthSchema>;
