import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const test = suite('drills --quick (chaos and fuzz, as .ci/run runs them)');

/** Runs one drill as a child process with the pinned Node; @returns its exit code and output. */
function runDrill(name: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [main, name, '--quick'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.once('exit', (code) => resolve({ code, output })));
  // A drill that hangs is killed, so the deadline below fails the test rather than the runner.
  return withDeadline(done, 170_000, `${name} --quick`).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
}

/** The summary block a drill prints (its JSON service log lines left out). */
const summary = (output: string) => output.split('\n').filter((line) => !line.startsWith('{')).join('\n');

test('chaos --quick: every job ends right, once, with nothing left behind, under kills and two Postgres restarts', async () => {
  const { code, output } = await runDrill('chaos');
  assert.match(output, /== chaos: PASS/, summary(output));
  assert.match(output, /jobs run more than once\s+0/);
  assert.match(output, /Postgres restarts\s+2/);
  assert.is(code, 0, summary(output));
});

test('fuzz --quick: no INTERNAL or UNKNOWN from any RPC, no crash, no stray rows', async () => {
  const { code, output } = await runDrill('fuzz');
  assert.match(output, /== fuzz: PASS/, summary(output));
  assert.not.match(output, /status (INTERNAL|UNKNOWN)/);
  assert.is(code, 0, summary(output));
});

test.run();
