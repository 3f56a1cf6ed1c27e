// Regenerates libs/contracts/src/generated from proto/ and third_party/proto:
// TypeScript through buf + ts-proto, and the binary descriptor set (with source
// info, so reflection clients see the comments) that grpc-kit serves.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');
const out = join(root, 'libs/contracts/src/generated');
const env = { ...process.env, BUF_CACHE_DIR: process.env.BUF_CACHE_DIR ?? join(root, '.buf-cache') };
const buf = (...args: string[]) => execFileSync('buf', args, { cwd: root, env, stdio: 'inherit' });

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
buf('lint');
buf('generate');
buf('build', '--as-file-descriptor-set', '-o', join(out, 'descriptor.binpb'));
