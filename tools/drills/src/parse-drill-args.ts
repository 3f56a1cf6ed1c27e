/** The drills `main.ts` knows. */
export const drillNames = ['chaos', 'fuzz', 'load', 'soak', 'hosts'] as const;
/** One drill's name. */
export type DrillName = (typeof drillNames)[number];

/** Parsed command line. */
export interface DrillArgs {
  /** Drills to run, in order; all of them when none is named. */
  drills: DrillName[];
  quick: boolean;
  /** Soak duration. @default 10 */
  minutes: number;
  /** Folder to write RELIABILITY.md into; undefined = docs/ of the repo (full run) or nowhere (quick). */
  outDir: string | undefined;
}

/** Parses `[drill...] [--quick] [--minutes N] [--out DIR]`. @throws Error naming the bad argument */
export function parseDrillArgs(argv: string[]): DrillArgs {
  const args: DrillArgs = { drills: [], quick: false, minutes: 10, outDir: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') args.quick = true;
    else if (arg === '--minutes') {
      const value = Number(argv[++i]);
      if (!(value > 0 && value <= 24 * 60)) throw new Error(`--minutes needs a number of minutes (0 < n <= 1440), got ${argv[i]}`);
      args.minutes = value;
    } else if (arg === '--out') {
      if (!argv[i + 1]) throw new Error('--out needs a folder');
      args.outDir = argv[++i];
    } else if ((drillNames as readonly string[]).includes(arg)) args.drills.push(arg as DrillName);
    else throw new Error(`unknown argument ${arg}; usage: main.ts [chaos|fuzz|load|soak|hosts ...] [--quick] [--minutes N] [--out DIR]`);
  }
  if (args.drills.length === 0) args.drills = [...drillNames];
  return args;
}
