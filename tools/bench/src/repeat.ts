/** How many times a measurement runs. */
export interface Repetitions {
  /** Runs thrown away first (JIT, caches, connection pools). */
  warmups: number;
  /** Runs kept; at least 3 in a full run. */
  reps: number;
}

/**
 * Runs `measure` warm-up times, then `reps` times, and returns the kept results.
 * Each call returns one figure (ops/s, ms, MB/s); the caller summarizes them.
 */
export async function repeat(repetitions: Repetitions, measure: (index: number) => Promise<number>): Promise<number[]> {
  for (let i = 0; i < repetitions.warmups; i++) await measure(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < repetitions.reps; i++) samples.push(await measure(i));
  return samples;
}

/** Elapsed ms of `fn`. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const began = performance.now();
  await fn();
  return performance.now() - began;
}

/**
 * Runs `total` operations with `concurrency` workers; returns ops/s and each op's latency in ms.
 * `op` gets the operation index.
 */
export async function throughput(total: number, concurrency: number, op: (index: number) => Promise<unknown>): Promise<{ opsPerSec: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const began = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, async () => {
    for (let i = next++; i < total; i = next++) {
      const start = performance.now();
      await op(i);
      latenciesMs.push(performance.now() - start);
    }
  }));
  return { opsPerSec: total / ((performance.now() - began) / 1000), latenciesMs };
}

/**
 * Like `repeat` for several sides of one comparison, taking turns (warm-up of every side, then
 * a, b, c, a, b, c, …) so that the machine's load drifts over all of them alike.
 * `measure` gets the repetition's index, negative for a warm-up.
 * @returns the kept results of each side, by name
 */
export async function repeatInterleaved(repetitions: Repetitions, sides: Record<string, (index: number) => Promise<number>>): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
  for (let i = -repetitions.warmups; i < repetitions.reps; i++) {
    for (const [name, measure] of Object.entries(sides)) {
      const value = await measure(i);
      if (i >= 0) samples[name]!.push(value);
    }
  }
  return samples;
}
