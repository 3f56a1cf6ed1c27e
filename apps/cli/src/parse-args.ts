/** Parsed command line: the command, its positionals, its flags, and what came after `--`. */
export interface ParsedArgs {
  command: string;
  positionals: string[];
  flags: Map<string, string[]>;
  rest: string[];
}

/**
 * Thrown for input the command cannot use (a dirty working tree, a manifest the server refused);
 * the CLI prints the message and exits 2.
 */
export class InputError extends Error {}

/** Thrown for a command line that cannot be understood; the CLI exits 2 and prints the usage. */
export class UsageError extends InputError {}

/**
 * Parses `cmd pos... --flag value --switch -f -- rest...`. Flags in
 * `booleans` take no value; any flag may repeat.
 */
export function parseArgs(argv: string[], booleans: Set<string>): ParsedArgs {
  const [command = 'help', ...args] = argv;
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return { command, positionals, flags, rest: args.slice(i + 1) };
    if (arg.startsWith('-') && arg !== '-') {
      const [rawName, inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
      if (booleans.has(rawName)) {
        add(rawName, 'true');
      } else if (inline !== undefined) {
        add(rawName, inline);
      } else {
        const value = args[++i];
        if (value === undefined) throw new UsageError(`--${rawName} needs a value`);
        add(rawName, value);
      }
    } else {
      positionals.push(arg);
    }
  }
  return { command, positionals, flags, rest: [] };
}

/** The last value of a flag, or undefined. */
export const flag = (args: ParsedArgs, ...names: string[]) => names.map((n) => args.flags.get(n)?.at(-1)).find((v) => v !== undefined);
/** Every value of a flag. */
export const flags = (args: ParsedArgs, name: string) => args.flags.get(name) ?? [];
