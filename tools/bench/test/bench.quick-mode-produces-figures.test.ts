import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// Runs `npm run bench -- --quick` as CI does, so the harness never rots. It checks that
// at least one suite ran and every suite that ran produced figures and ratios, never how big they are.
const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const test = suite<{ out: string }>('bench quick mode');
test.before(async (ctx) => {
  ctx.out = await withDeadline(mkdtemp(join(tmpdir(), 'jobmesh-bench-test-')), 5_000, 'temp dir');
});
test.after(async (ctx) => {
  if (ctx.out) await withDeadline(rm(ctx.out, { recursive: true, force: true }), 30_000, 'remove temp dir');
});

interface Report {
  results: { suite: string; comparisons: { subject: { summary: { median: number } }; baseline: { summary: { median: number } }; ratio: number }[] }[];
  failures: { suite: string; error: string }[];
  skipped: { suite: string; reason: string }[];
}

test('a quick run writes figures and a ratio for every suite that ran, and leaves docs/ alone', async ({ out }) => {
  const child = spawn(process.execPath, [mainPath, '--quick', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (data) => (output += data));
  child.stderr.on('data', (data) => (output += data));
  // About 85 s on this 2-core machine when it is quiet, over 200 s when other test files and drills share it:
  // the deadline only catches a hang (speed is never asserted), and stays under the runner's 10 min per file.
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const code = await withDeadline(exited, 540_000, 'quick bench run').catch(async (error: unknown) => {
    child.kill('SIGINT'); // main.ts stops its services and Postgres on SIGINT
    await withDeadline(exited, 30_000, 'bench clean-up after SIGINT').catch(() => child.kill('SIGKILL'));
    throw new Error(`${String(error)}; output tail:\n${output.slice(-3000)}`);
  });
  // The report first: a failed suite makes the exit code 1, and its error must be in the assertion message.
  const jsonFiles = (await withDeadline(readdir(join(out, 'bench')).catch(() => [] as string[]), 5_000, 'list JSON')).filter((f) => f.endsWith('.json'));
  const failedLines = output.split('\n').filter((line) => /FAILED|Error|error:/.test(line)).slice(-20).join('\n');
  assert.is(jsonFiles.length, 1, `no report written (exit code ${code}); error lines:\n${failedLines}\n--- output tail:\n${output.slice(-3000)}`);
  const report = JSON.parse(await withDeadline(readFile(join(out, 'bench', jsonFiles[0]!), 'utf8'), 5_000, 'read JSON')) as Report;
  const failures = report.failures.map((f) => `${f.suite}: ${f.error}`).join('\n');
  assert.equal(report.failures.map((f) => f.suite), [], `suites failed:\n${failures}\n--- output tail:\n${output.slice(-3000)}`);
  assert.is(code, 0, output.slice(-4000));
  assert.ok(report.results.length + report.skipped.length >= 7, 'every suite ran or said why not');
  // A run where every suite said "skipped" measured nothing: that is a failure, not a pass.
  const skippedWhy = report.skipped.map((s) => `${s.suite}: ${s.reason}`).join('\n');
  assert.ok(report.results.length > 0, `no suite ran; skipped:\n${skippedWhy}`);
  for (const result of report.results) {
    assert.ok(result.comparisons.length > 0, `${result.suite} has figures`);
    for (const c of result.comparisons) {
      assert.ok(Number.isFinite(c.subject.summary.median) && Number.isFinite(c.baseline.summary.median), `${result.suite}: both figures`);
      assert.ok(Number.isFinite(c.ratio), `${result.suite}: a ratio`);
    }
  }
  const markdown = await withDeadline(readFile(join(out, 'BENCHMARKS.md'), 'utf8'), 5_000, 'read BENCHMARKS.md');
  for (const result of report.results) assert.match(markdown, `npm run bench -- ${result.suite}`);
});

test.run();
