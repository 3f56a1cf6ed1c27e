import type { z } from 'zod';
import { ConfigError, parseConfig } from './parse-config.ts';

/**
 * Parses the environment for a service's main; on any problem prints them all
 * and exits 1, so a misconfigured service never half-starts.
 */
export function loadConfigOrExit<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${service}: ${error.message}\n`);
    process.exit(1);
  }
}
