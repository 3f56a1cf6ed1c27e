import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStepMarkerReader, type StepMarker } from './create-step-marker-reader.ts';
import { renderStepsScript } from './render-steps-script.ts';

const run = promisify(execFile);
const nonce = '0123456789abcdef0123456789abcdef';
const shells = [['dash', '/bin/sh'], ['busybox ash', '/bin/busybox']].filter(([, path]) => existsSync(path!));

/** Runs `script` in a fresh folder under `shell`; returns stdout, stderr and the exit code. */
async function runScript(shell: string, script: string): Promise<{ stdout: Buffer; stderr: string; code: number; tmp: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'jobmesh-steps-'));
  const args = shell.endsWith('busybox') ? ['sh', '-c', script] : ['-c', script];
  try {
    const out = await run(shell, args, { cwd, encoding: 'buffer', env: { PATH: process.env.PATH, TMPDIR: cwd } });
    return { stdout: out.stdout, stderr: out.stderr.toString(), code: 0, tmp: cwd };
  } catch (error) {
    const e = error as { stdout: Buffer; stderr: Buffer; code: number };
    return { stdout: e.stdout, stderr: e.stderr.toString(), code: e.code, tmp: cwd };
  }
}

/** Feeds `data` to a reader in pieces of `size` bytes; returns the cleaned output and the markers with absolute offsets. */
function readInPieces(data: Buffer, size: number): { text: string; markers: StepMarker[] } {
  const reader = createStepMarkerReader(nonce);
  const out: Buffer[] = [];
  const markers: StepMarker[] = [];
  let length = 0;
  for (let i = 0; i < data.length; i += size) {
    const piece = reader.read(1, data.subarray(i, i + size));
    markers.push(...piece.markers.map((m) => ({ ...m, offset: m.offset + length })));
    out.push(piece.data);
    length += piece.data.length;
  }
  out.push(...reader.drain().map((rest) => rest.data));
  return { text: Buffer.concat(out).toString(), markers };
}

for (const [name, shell] of shells) {
  test(`${name}: steps run in order in one folder, each marked; a failing step ends the job with its code`, async () => {
    const script = renderStepsScript([
      { index: 1, name: 'first', run: 'echo one > marker\necho "first $(cat marker)"' },
      { index: 2, name: 'quoting', run: "x='$HOME $(id) \\\\'; printf '%s\\n' \"$x\" | wc -c\ncat <<'EOF'\nnested here-doc\nEOF" },
      { index: 3, name: 'reads stdin', run: 'cat; echo stdin-closed' },
      { index: 4, name: 'fails', run: 'false\necho never printed' },
      { index: 5, name: 'not reached', run: 'echo not reached' },
    ], nonce);
    const result = await runScript(shell!, script);
    assert.is(result.code, 1);
    for (const size of [1, 7, 64, 100_000]) {
      const { text, markers } = readInPieces(result.stdout, size);
      assert.is(text, 'first one\n15\nnested here-doc\nstdin-closed\n', `pieces of ${size}`);
      assert.equal(markers.map((m) => [m.index, m.kind, m.exitCode]), [[1, 'start', undefined], [1, 'end', 0], [2, 'start', undefined], [2, 'end', 0],
        [3, 'start', undefined], [3, 'end', 0], [4, 'start', undefined], [4, 'end', 1]]);
      assert.equal(markers.map((m) => m.offset), [0, 10, 10, 29, 29, 42, 42, 42]);
    }
    // stderr carries the same markers (its own boundaries) and nothing else here.
    const err = readInPieces(Buffer.from(result.stderr), 5);
    assert.is(err.text, '');
    assert.equal(err.markers.map((m) => [m.index, m.kind, m.exitCode, m.offset]), [[1, 'start', undefined, 0], [1, 'end', 0, 0], [2, 'start', undefined, 0], [2, 'end', 0, 0],
      [3, 'start', undefined, 0], [3, 'end', 0, 0], [4, 'start', undefined, 0], [4, 'end', 1, 0]]);
    // The steps' files are removed.
    assert.equal((await readdir(result.tmp)).filter((f) => f.startsWith('jobmesh-steps')), []);
    await rm(result.tmp, { recursive: true, force: true });
  });
}

test('output that only looks like a marker stays in the log', () => {
  const reader = createStepMarkerReader(nonce);
  const other = `\x1ejobmesh-step ffffffffffffffffffffffffffffffff 1 start\x1e\n`;
  const forged = `\x1ejobmesh-step ${nonce} 1 sideways\x1e\n`;
  const lone = 'a\x1eb\n';
  const piece = reader.read(1, Buffer.from(other + forged + lone));
  assert.is(piece.data.toString() + reader.drain().map((r) => r.data.toString()).join(''), other + forged + lone);
  assert.equal(piece.markers, []);
  // Each stream is read apart: a marker split between two streams is not joined.
  assert.equal(reader.read(1, Buffer.from(`\x1ejobmesh-step ${nonce} 1 st`)).markers, []);
  const err = reader.read(2, Buffer.from(`art\x1e\n\x1ejobmesh-step ${nonce} 2 start\x1e\n`));
  assert.equal(err.markers, [{ index: 2, kind: 'start', offset: 5 }]);
  assert.is(err.data.toString(), 'art\x1e\n');
});

test('a cut-off marker at the end of the output is given back as output', () => {
  const reader = createStepMarkerReader(nonce);
  const piece = reader.read(1, Buffer.from(`x\x1ejobmesh-step ${nonce} 1 st`));
  assert.is(piece.data.toString(), 'x');
  assert.equal(reader.drain().map((r) => [r.stream, r.data.toString()]), [[1, `\x1ejobmesh-step ${nonce} 1 st`]]);
});

test('a nonce must be hex', () => {
  assert.throws(() => renderStepsScript([], 'not-hex'), /nonce/);
});

test.run();
