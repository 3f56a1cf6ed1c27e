// Regenerates libs/contracts/src/generated from proto/ and third_party/proto:
// TypeScript through buf + ts-proto, and the binary descriptor set (with source
// info, so reflection clients see the comments) that grpc-kit serves. Builds in
// a scratch folder and swaps it in, so processes running meanwhile never see a
// half-written or missing folder for long.
//
// Each generated module is also written as JavaScript (`x.js` beside `x.ts`, types stripped, its
// relative imports pointing at `.js`): package.json sends Node to the `.js` and TypeScript to the
// `.ts` of the same import. Node strips types in a WebAssembly module whose memory grows to fit
// the biggest file it was given and never shrinks: the generated files (up to 140 KB) made every
// service's RSS tens of MiB bigger than the same code as JavaScript (bench memory suite).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';

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
  writeJavaScript(built);
  writeContractIndex(built);
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

/** Writes the JavaScript twin of every `.ts` module under `dir`. */
function writeJavaScript(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const js = stripTypeScriptTypes(readFileSync(path, 'utf8'), { mode: 'strip' })
      // Relative imports only (ts-proto writes them with importSuffix=.ts); packages keep theirs.
      .replace(/(from\s+["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, '$1$2.js$3');
    writeFileSync(path.replace(/\.ts$/, '.js'), js);
  }
}

/**
 * Writes `contract-index.json`: every service of the descriptor set and the methods marked
 * `idempotency_level` IDEMPOTENT or NO_SIDE_EFFECTS. Clients and servers read this small file at
 * start-up instead of decoding the whole descriptor set (with its comments) into memory; only
 * reflection, when a client asks, reads the set itself.
 */
function writeContractIndex(dir: string): void {
  const services: string[] = [];
  const idempotentMethods: string[] = [];
  for (const file of fromBinary(FileDescriptorSetSchema, readFileSync(join(dir, 'descriptor.binpb'))).file) {
    for (const service of file.service) {
      const name = `${file.package}.${service.name}`;
      services.push(name);
      for (const method of service.method) {
        const level = method.options?.idempotencyLevel ?? MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN;
        if (level !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN) idempotentMethods.push(`/${name}/${method.name}`);
      }
    }
  }
  writeFileSync(join(dir, 'contract-index.json'), `${JSON.stringify({ services: services.sort(), idempotentMethods: idempotentMethods.sort() }, null, 2)}\n`);
}
