import type { BenchContext } from './bench-types.ts';

/**
 * What `start` makes, made once per bench run under `key` and handed to every suite that asks
 * (suites run one after another, so they share one Postgres, persistence or mesh).
 */
export function shareOnce<T>(ctx: BenchContext, key: string, start: () => Promise<T>): Promise<T> {
  let started = ctx.shared.get(key) as Promise<T> | undefined;
  if (!started) {
    started = start();
    ctx.shared.set(key, started);
  }
  return started;
}
