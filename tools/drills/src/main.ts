import { fileURLToPath } from 'node:url';
import { runChaosDrill, chaosDefaults } from './chaos/run-chaos-drill.ts';
import { printDrillResult, type DrillResult } from './drill-result.ts';
import { drillNames, parseDrillArgs, type DrillArgs, type DrillName } from './parse-drill-args.ts';
import { writeReliabilityReport } from './report/write-reliability-report.ts';

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`the drills need Node >= 24 (this is ${process.versions.node}): run them with npx node or npm run drills\n`);
  process.exit(2);
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs one drill by name. Each is loaded only when asked for. */
async function runDrill(name: DrillName, args: DrillArgs): Promise<DrillResult> {
  switch (name) {
    case 'chaos':
      return runChaosDrill(chaosDefaults(args.quick));
    case 'fuzz':
      return (await import('./fuzz/run-fuzz-drill.ts')).runFuzzDrill({ inputsPerMethod: args.quick ? 50 : 500 });
    case 'load':
      return (await import('./load/run-load-drill.ts')).runLoadDrill(args.quick ? { submitters: 200, followers: 40 } : { submitters: 1000, followers: 200 });
    case 'soak':
      return (await import('./soak/run-soak-drill.ts')).runSoakDrill({ minutes: args.quick ? Math.min(args.minutes, 1) : args.minutes });
    case 'hosts': {
      const { runHostsDrill, hostsDefaults } = await import('./hosts/run-hosts-drill.ts');
      return runHostsDrill(hostsDefaults(args.quick));
    }
  }
}

const args = (() => {
  try {
    return parseDrillArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
})();
const results: DrillResult[] = [];
for (const name of args.drills) {
  try {
    const result = await runDrill(name, args);
    printDrillResult(result);
    results.push(result);
  } catch (error) {
    const result: DrillResult = { drill: name, passed: false, figures: {}, problems: [`the drill itself failed: ${(error as Error).stack ?? String(error)}`] };
    printDrillResult(result);
    results.push(result);
  }
}
// A quick run writes nowhere in the repo unless told where; a full run of all drills updates docs/.
const outDir = args.outDir ?? (args.quick ? undefined : args.drills.length === drillNames.length ? `${repoRoot}docs` : undefined);
if (outDir) process.stdout.write(`wrote ${await writeReliabilityReport(outDir, results, args)}\n`);
const failed = results.filter((r) => !r.passed).map((r) => r.drill);
process.stdout.write(failed.length ? `drills FAILED: ${failed.join(', ')}\n` : `drills passed: ${results.map((r) => r.drill).join(', ')}\n`);
// Clients and timers of a finished drill must not keep the process (and a CI job) alive.
process.exit(failed.length ? 1 : 0);
