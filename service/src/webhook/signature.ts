/**
 * Stripe-Signature verification with the official `stripe` library, over the raw request body, against
 * one or more secrets (rotation). Failures are reduced to a small, bounded set of reasons, which become
 * the `reason` label of webhook_signature_failures_total and the `error` of the 400 response.
 *
 * Two things the library does not do are added here:
 * - It decodes a Buffer payload as UTF-8 (invalid bytes become U+FFFD) and signs the decoded text, so a
 *   body that is not valid UTF-8 could never verify. Stripe signs the bytes it sends: `<t>.<body>`. The
 *   library's header parsing, comparison and messages are kept; only its HMAC is given the raw bytes
 *   (a crypto provider bound to this one body).
 * - It checks only the past (timestamp older than the tolerance). A timestamp further in the future than
 *   the tolerance is refused too: the window closes both ways, allowing clock skew up to the tolerance.
 */
import { createHmac } from 'node:crypto';
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
  timestamp_outside_tolerance:
    'the signature timestamp is outside the tolerance window (too old, or further in the future than the tolerance allows)',
  empty_payload: 'the request body is empty',
  invalid: 'the signature could not be verified',
};

/**
 * The library's crypto provider contract, computing the HMAC over the raw body: the library hands it
 * `<timestamp>.<decoded body>`; the timestamp (the one the library parsed from the header) is kept and the
 * decoded body replaced by the bytes received. It also remembers that timestamp for the future check.
 */
class RawBodyHmac {
  timestamp: number | undefined;
  constructor(private readonly body: Uint8Array) {}

  computeHMACSignature(content: string, secret: string): string {
    const dot = content.indexOf('.');
    const t = content.slice(0, dot);
    this.timestamp = Number(t);
    return createHmac('sha256', secret).update(`${t}.`, 'utf8').update(this.body).digest('hex');
  }
  computeHMACSignatureAsync(content: string, secret: string): Promise<string> {
    return Promise.resolve(this.computeHMACSignature(content, secret));
  }
  computeSHA256Async(): Promise<Uint8Array> {
    return Promise.reject(new Error('not used for webhook signatures'));
  }
}

/**
 * Verify `header` (all values the client sent for Stripe-Signature) over the body's bytes as received.
 * `receivedAt` (ms) lets tests pin the clock.
 */
export function verifyStripeSignature(
  body: Uint8Array,
  header: readonly string[] | undefined,
  secrets: readonly string[],
  toleranceSeconds: number,
  receivedAt?: number,
): SignatureResult {
  if (header === undefined || header.length === 0 || header[0]!.trim() === '') return fail('missing_header');
  if (header.length > 1) return fail('duplicate_header');
  if (body.length === 0) return fail('empty_payload');
  const hmac = new RawBodyHmac(body);
  const crypto = hmac as unknown as Parameters<NonNullable<typeof signature>['verifyHeader']>[4];
  let first: SignatureFailureReason | undefined;
  for (let i = 0; i < secrets.length; i++) {
    try {
      signature!.verifyHeader(body, header[0]!, secrets[i]!, toleranceSeconds, crypto, receivedAt);
      // The library refuses only timestamps older than the tolerance; close the window on the other side.
      const now = Math.floor((receivedAt ?? Date.now()) / 1000);
      if (hmac.timestamp === undefined || hmac.timestamp - now > toleranceSeconds)
        return fail('timestamp_outside_tolerance');
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
