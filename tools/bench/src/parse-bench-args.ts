import { parseArgs } from 'node:util';

/** The command line of `npm run bench`. */
export interface BenchArgs {
  /** Suites to run, in the order given; all when none. */
  suites: string[];
  /** Small sizes and few repetitions (CI); never writes docs/. */
  quick: boolean;
  /** Directory for BENCHMARKS.md and the JSON instead of docs/ (required to keep a quick run out of the repo: a temp dir by default). */
  out?: string;
}

/** Parses `[suite...] [--quick] [--out DIR]`. @throws Error naming an unknown suite or option */
export function parseBenchArgs(argv: string[], known: string[]): BenchArgs {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } } });
  const unknown = positionals.filter((name) => !known.includes(name));
  if (unknown.length) throw new Error(`unknown suite ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return { suites: positionals.length ? positionals : known, quick: values.quick ?? false, ...(values.out ? { out: values.out } : {}) };
}
