import { spawn } from 'node:child_process';

/** Outcome of one test file. */
export interface TestFileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  exitCode: number | null;
  durationMs: number;
  output: string;
}

const ansi = /\x1b\[[0-9;]*m/g;

/** Reads uvu's closing totals ("Total: N", "Passed: N", "Skipped: N"). */
export function parseUvuTotals(output: string): { total: number; passed: number; skipped: number } | null {
  const text = output.replace(ansi, '');
  const total = /Total:\s+(\d+)/.exec(text);
  const passed = /Passed:\s+(\d+)/.exec(text);
  const skipped = /Skipped:\s+(\d+)/.exec(text);
  if (!total || !passed) return null;
  return { total: Number(total[1]), passed: Number(passed[1]), skipped: Number(skipped?.[1] ?? 0) };
}

/**
 * Runs one test file in its own Node process (the pinned Node: process.execPath)
 * with a hard timeout. A file that crashes, hangs or exits non-zero without
 * failed tests counts one failure, so nothing broken can pass silently.
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
      const totals = parseUvuTotals(output);
      let passed = totals?.passed ?? 0;
      let failed = totals ? totals.total - totals.passed - totals.skipped : 0;
      if (timedOut) output += `\n[runner] killed after ${timeoutMs} ms\n`;
      if ((exitCode !== 0 || timedOut || !totals) && failed === 0) failed = 1;
      if (totals && totals.total === 0 && failed === 0) failed = 1; // a file that ran no test is a mistake
      resolve({ file, passed, failed, skipped: totals?.skipped ?? 0, exitCode, durationMs: Date.now() - started, output });
    });
  });
}
