import { inspect } from 'node:util';

import { expect } from 'vitest';

/**
 * The error `promise` rejects with, checked to be a `type` (an Error subclass, e.g. ComponentRequestError
 * or WmonError), for assertions on its fields. A promise that resolves fails the test, saying with what.
 */
export async function failure<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a rejection with ${type.name}, but it resolved with ${inspect(value, { depth: 2 })}`);
}
