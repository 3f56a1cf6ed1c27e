import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureVmPackages, vmPackages } from '../src/ensure-vm-packages.ts';

test('on this host every package the VM labels need is installed: nothing to do', async () => {
  const lines: string[] = [];
  assert.equal(await ensureVmPackages((line) => lines.push(line)), []);
  assert.equal(lines, []);
});

test('a missing package that apt-get cannot install: the exact apt-get line is printed, nothing throws', async () => {
  // dpkg-query that knows only git, and an apt-get that fails (this host's real apt is not touched).
  const bin = await mkdtemp(join(tmpdir(), 'jobmesh-fake-apt-'));
  await writeFile(join(bin, 'dpkg-query'), '#!/bin/sh\n[ "$1" = --version ] && exit 0\neval last=\\${$#}\n[ "$last" = git ] && { printf "install ok installed"; exit 0; }\nexit 1\n');
  await writeFile(join(bin, 'apt-get'), '#!/bin/sh\necho "E: no network" >&2\nexit 100\n');
  await Promise.all(['dpkg-query', 'apt-get'].map((name) => chmod(join(bin, name), 0o755)));
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    const lines: string[] = [];
    const missing = await ensureVmPackages((line) => lines.push(line));
    assert.equal(missing, vmPackages.filter((name) => name !== 'git'));
    const text = lines.join('\n');
    assert.ok(text.includes(`apt-get install -y --no-install-recommends ${missing.join(' ')}`), text);
    assert.match(text, /process backend work/);
  } finally {
    process.env.PATH = path;
    await rm(bin, { recursive: true, force: true });
  }
});

test.run();
