/**
 * Bounds how long a test waits for something that should happen, so that a
 * broken program fails the test instead of hanging it.
 *
 * @module
 */

/**
 * Resolves as `promise` does, or rejects if it has not settled in time.
 *
 * @param promise What to wait for.
 * @param what What is awaited, for the failure message.
 * @param milliseconds How long to wait at most.
 */
export async function within<T>(
  promise: Promise<T>,
  what: string,
  milliseconds = 30_000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), milliseconds);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
