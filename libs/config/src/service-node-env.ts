import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Young-generation semi-space of a service's V8 heap, in MiB (V8's default here is 16). */
export const serviceSemiSpaceMiB = 4;
/** Old-generation size of a service's V8 heap, in MiB (V8's default is a quarter of the machine's memory). */
export const serviceOldSpaceMiB = 256;

/**
 * The Node settings every service process is started with (npm start, the tests, the bench;
 * container images set the same two variables), added to `env` without overriding what it sets:
 *
 * - `NODE_COMPILE_CACHE`: Node's on-disk compile cache, which also keeps the result of stripping
 *   types. A service started with a warm cache never loads the type stripper (a WebAssembly
 *   module whose memory took 15 to 20 MiB of every process) and starts faster. @default
 *   `<os tmpdir>/jobmesh-node-compile-cache` (per machine; safe to share, entries are checked)
 * - `NODE_OPTIONS` gains `--max-semi-space-size=4` and `--max-old-space-size=256` unless it sets
 *   them. A service's live heap is about 25 MiB after hundreds of jobs (heap snapshot of the
 *   orchestrator), but V8 sizes its collection thresholds from the heap's maximum (4+ GiB by
 *   default on a 24 GiB machine) and let a loaded service hold 150 to 290 MiB; with these two it
 *   stays under 130 (bench memory suite). Buffers (log chunks, messages) live outside this limit.
 * @returns the variables to add
 */
export function serviceNodeEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  let options = env.NODE_OPTIONS ?? '';
  if (!/--max-semi-space-size/.test(options)) options = `${options} --max-semi-space-size=${serviceSemiSpaceMiB}`;
  if (!/--max-old-space-size/.test(options)) options = `${options} --max-old-space-size=${serviceOldSpaceMiB}`;
  return {
    NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE || join(tmpdir(), 'jobmesh-node-compile-cache'),
    NODE_OPTIONS: options.trim(),
  };
}
