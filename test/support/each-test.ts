import { afterEach, beforeEach } from 'vitest';

/**
 * A fresh `start()` for every test of the enclosing describe, closed after it: `const loki = eachTest(startFakeLoki)`,
 * then `loki().url` inside a test.
 */
export function eachTest<T extends { close(): Promise<void> }>(start: () => Promise<T>): () => T {
  let current: T | undefined;
  beforeEach(async () => {
    current = await start();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error('eachTest: used outside a test');
    return current;
  };
}
