import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runTestFile } from '../src/run-test-file.ts';
import { summarizeResults } from '../src/summarize-results.ts';

// Runs real uvu files (test/fixtures/*.fixture.ts, which the runner never collects) the way
// `npm test` runs every file, and checks the exact counts it derives from each.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string) => `tools/testing/test/fixtures/${name}.fixture.ts`;
// runTestFile kills a file at its timeout, so these awaits need no deadline of their own.
const run = (name: string, timeoutMs = 30_000) => runTestFile(root, fixture(name), process.env, timeoutMs);
const counts = ({ passed, failed, skipped }: { passed: number; failed: number; skipped: number }) => ({ passed, failed, skipped });

const test = suite('runTestFile counts');

test('a failing, a passing, a declared skip and a runtime skip: 1 passed, 1 failed, 2 skipped', async () => {
  const result = await run('mixed');
  assert.equal(counts(result), { passed: 1, failed: 1, skipped: 2 }, result.output);
  assert.equal(result.skipReasons, ['no second filesystem here']);
  assert.is(result.exitCode, 1);
});

test('.only: the tests left out count as skipped, never as negative failures', async () => {
  const result = await run('only');
  assert.equal(counts(result), { passed: 1, failed: 1, skipped: 2 }, result.output);
});

test('a process that dies mid-run (no totals) counts one failure, not its earlier pass', async () => {
  const result = await run('crash');
  assert.equal(counts(result), { passed: 0, failed: 1, skipped: 0 }, result.output);
  assert.is(result.exitCode, 3);
});

test('a file that hangs is killed at its timeout and counts one failure', async () => {
  const result = await run('hang', 3_000);
  assert.equal(counts(result), { passed: 0, failed: 1, skipped: 0 }, result.output);
  assert.match(result.output, 'killed after 3000 ms');
});

test('a before hook that throws fails every test of its suite though uvu exits 0', async () => {
  const result = await run('failing-hook');
  assert.equal(counts(result), { passed: 0, failed: 2, skipped: 0 }, result.output);
});

test('a file that declares no test counts one failure', async () => {
  const result = await run('empty');
  assert.equal(counts(result), { passed: 0, failed: 1, skipped: 0 }, result.output);
});

test('the closing line adds every file up; any failure makes the exit code 1', () => {
  const file = (passed: number, failed: number, skipped: number) => ({ passed, failed, skipped, skipReasons: [] });
  assert.equal(summarizeResults([file(3, 0, 1), file(1, 0, 2)]), { line: '4 passed, 0 failed, 3 skipped', exitCode: 0 });
  assert.equal(summarizeResults([file(3, 0, 1), file(0, 1, 0)]), { line: '3 passed, 1 failed, 1 skipped', exitCode: 1 });
  assert.is(summarizeResults([]).exitCode, 1, 'no test file at all is a failure');
});

test.run();
