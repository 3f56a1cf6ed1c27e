import { flags, UsageError, type ParsedArgs } from '../parse-args.ts';

/**
 * The `--env K=V` and `--secret-env K` flags of submit and run. A secret's value comes from this
 * process's environment (`$K`), never from the command line, where ps would show it.
 * @throws UsageError for a malformed pair, a secret given as K=V, or a secret not set
 */
export function envFlags(args: ParsedArgs): { env: Record<string, string>; secretEnv: Record<string, string> } {
  const env: Record<string, string> = {};
  for (const pair of flags(args, 'env')) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--env takes KEY=VALUE, got ${pair}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const secretEnv: Record<string, string> = {};
  for (const key of flags(args, 'secret-env')) {
    if (key.includes('=')) throw new UsageError(`--secret-env takes a variable name, got ${key.split('=')[0]}=…: export the value in this command's environment and give its name (a value on the command line shows in ps)`);
    const value = process.env[key];
    if (value === undefined || value === '') throw new UsageError(`--secret-env ${key}: set ${key} in the environment of this command`);
    secretEnv[key] = value;
  }
  return { env, secretEnv };
}
