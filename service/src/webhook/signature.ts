/**
 * Stripe-Signature verification with the official `stripe` library, over the raw request body, against
 * one or more secrets (rotation). Failures are reduced to a small, bounded set of reasons, which become
 * the `reason` label of webhook_signature_failures_total and the `error` of the 400 response.
 */
import Stripe from 'stripe';
import type { SignatureFailureReason } from '@wmon/contract';

export type SignatureResult =
  | { readonly ok: true; readonly secretIndex: number }
  | { readonly ok: false; readonly reason: SignatureFailureReason; readonly message: string };

const signature = Stripe.webhooks.signature;
if (!signature) throw new Error('stripe library without webhook signature support');

/** Map the stripe library's StripeSignatureVerificationError messages to our reasons. */
export function reasonFromStripeError(message: string): SignatureFailureReason {
  if (message.startsWith('No webhook payload')) return 'empty_payload';
  if (message.startsWith('No stripe-signature header')) return 'missing_header';
  if (message.startsWith('Unable to extract timestamp and signatures')) return 'malformed_header';
  if (message.startsWith('No signatures found with expected scheme')) return 'no_v1_signature';
  if (message.startsWith('No signatures found matching')) return 'signature_mismatch';
  if (message.startsWith('Timestamp outside the tolerance zone')) return 'timestamp_outside_tolerance';
  return 'invalid';
}

const MESSAGES: Record<SignatureFailureReason, string> = {
  missing_header: 'the Stripe-Signature header is missing',
  duplicate_header: 'the Stripe-Signature header was sent more than once',
  malformed_header: 'the Stripe-Signature header has no timestamp or no signatures',
  no_v1_signature: 'the Stripe-Signature header has no v1 signature',
  signature_mismatch: 'no v1 signature matches the payload for any configured secret',
  timestamp_outside_tolerance: 'the signature timestamp is outside the tolerance window',
  empty_payload: 'the request body is empty',
  invalid: 'the signature could not be verified',
};

/**
 * Verify `header` (all values the client sent for Stripe-Signature) over `payload`.
 * `receivedAt` (ms) lets tests pin the clock.
 */
export function verifyStripeSignature(
  payload: string,
  header: readonly string[] | undefined,
  secrets: readonly string[],
  toleranceSeconds: number,
  receivedAt?: number,
): SignatureResult {
  if (header === undefined || header.length === 0 || header[0]!.trim() === '') return fail('missing_header');
  if (header.length > 1) return fail('duplicate_header');
  if (payload.length === 0) return fail('empty_payload');
  let first: SignatureFailureReason | undefined;
  for (let i = 0; i < secrets.length; i++) {
    try {
      signature!.verifyHeader(payload, header[0]!, secrets[i]!, toleranceSeconds, undefined, receivedAt);
      return { ok: true, secretIndex: i };
    } catch (err) {
      const reason = reasonFromStripeError(err instanceof Error ? err.message : String(err));
      // A mismatch may match the next secret; anything else is about the header itself, or (expired) means
      // this secret did match, so there is no point trying further secrets.
      if (reason !== 'signature_mismatch') return fail(reason);
      first ??= reason;
    }
  }
  return fail(first ?? 'signature_mismatch');
}

function fail(reason: SignatureFailureReason): SignatureResult {
  return { ok: false, reason, message: MESSAGES[reason] };
}
