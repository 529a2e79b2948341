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
