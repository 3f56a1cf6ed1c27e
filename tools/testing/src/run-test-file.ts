import { spawn } from 'node:child_process';
import { countTestResults, type TestCounts } from './count-test-results.ts';

/** Outcome of one test file. */
export interface TestFileResult extends TestCounts {
  file: string;
  exitCode: number | null;
  durationMs: number;
  output: string;
}

/**
 * Runs one test file in its own Node process (the pinned Node: process.execPath)
 * with a hard timeout, killing its whole process group at the end, and counts its
 * tests (countTestResults: a crash, a hang or a non-zero exit is at least one failure).
 */
export function runTestFile(root: string, file: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<TestFileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: root, env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutMs);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      // Whatever the file started and did not stop (a server, a Postgres) dies with it.
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* the group is gone */ }
      if (timedOut) output += `\n[runner] killed after ${timeoutMs} ms\n`;
      const counts = countTestResults({ output, exitCode, timedOut });
      resolve({ file, ...counts, exitCode, durationMs: Date.now() - started, output });
    });
  });
}
