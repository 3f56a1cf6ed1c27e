import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const test = suite('drills --quick (chaos, hosts and fuzz, as .ci/run runs them)');

/**
 * Runs one drill as a child process with the pinned Node; @returns its exit code and output. A
 * drill still running after `deadlineMs` (it has its own, shorter budget) is killed and reported
 * with what it printed, so a hang fails the test with its cause rather than the runner.
 */
function runDrill(name: string, deadlineMs: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [main, name, '--quick'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output += `\n[test] ${name} --quick still running after ${deadlineMs} ms: killed\n`;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.once('exit', (code) => (clearTimeout(timer), resolve({ code, output })));
  });
}

/** The summary block a drill prints (its JSON service log lines left out). */
const summary = (output: string) => output.split('\n').filter((line) => !line.startsWith('{')).join('\n');

test('chaos --quick: every job ends right, once, with nothing left behind, under kills and two Postgres restarts', async () => {
  const { code, output } = await runDrill('chaos', 330_000);
  assert.match(output, /== chaos: PASS/, summary(output));
  assert.match(output, /jobs run more than once\s+0/, summary(output));
  assert.match(output, /Postgres restarts\s+2/);
  assert.is(code, 0, summary(output));
});

test('hosts --quick: a VM host killed under two orchestrator replicas: its jobs fail with HOST_LOST and run again elsewhere, never twice at once', async () => {
  const { code, output } = await runDrill('hosts', 300_000);
  assert.match(output, /== hosts: PASS/, summary(output));
  assert.match(output, /jobs run twice at once\s+0/, summary(output));
  assert.is(code, 0, summary(output));
});

test('fuzz --quick: no INTERNAL or UNKNOWN from any RPC, no crash, no stray rows', async () => {
  const { code, output } = await runDrill('fuzz', 240_000);
  assert.match(output, /== fuzz: PASS/, summary(output));
  assert.not.match(output, /status (INTERNAL|UNKNOWN)/);
  assert.is(code, 0, summary(output));
});

test.run();
