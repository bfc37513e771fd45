/**
 * Awaits every promise, even after one fails: jobs that write into shared memory (a batch row)
 * must all have ended before the caller reuses it. On a failure, `free` releases what the other
 * jobs made and the first error is thrown.
 */
export async function settleAll<T>(jobs: Promise<T>[], free: (value: T) => void): Promise<T[]> {
  const settled = await Promise.allSettled(jobs);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const r of settled) if (r.status === 'fulfilled') free(r.value);
    throw failed.reason;
  }
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
