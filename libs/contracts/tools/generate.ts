// Regenerates libs/contracts/src/generated from proto/ and third_party/proto:
// TypeScript through buf + ts-proto, and the binary descriptor set (with source
// info, so reflection clients see the comments) that grpc-kit serves. Builds in
// a scratch folder and swaps it in, so processes running meanwhile never see a
// half-written or missing folder for long.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');
const out = join(root, 'libs/contracts/src/generated');
const scratch = mkdtempSync(join(root, 'libs/contracts/src/.generating-'));
const env = { ...process.env, BUF_CACHE_DIR: process.env.BUF_CACHE_DIR ?? join(root, '.buf-cache') };
const buf = (...args: string[]) => execFileSync('buf', args, { cwd: root, env, stdio: 'inherit' });

try {
  buf('lint');
  buf('generate', '--output', scratch);
  const built = join(scratch, 'libs/contracts/src/generated');
  buf('build', '--as-file-descriptor-set', '-o', join(built, 'descriptor.binpb'));
  const old = `${out}.old-${process.pid}`;
  try {
    renameSync(out, old);
  } catch {
    // first generation: nothing to move aside
  }
  renameSync(built, out);
  rmSync(old, { recursive: true, force: true });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
