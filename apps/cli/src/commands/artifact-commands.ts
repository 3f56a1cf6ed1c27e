import type { Artifact } from '@jobmesh/contracts/jobmesh/orchestrator/v1/artifacts.ts';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Api } from '../create-api.ts';
import { formatTable, toJson } from '../format.ts';
import { flag, UsageError, type ParsedArgs } from '../parse-args.ts';
import { createProgressLine } from '../progress-line.ts';

const out = (text: string) => process.stdout.write(text + '\n');
const pageSize = 1000;

/** Every artifact of a job, page after page. */
async function listAll(api: Api, requestId: string) {
  const first = await api.artifacts.listArtifacts({ requestId, pageSize, pageToken: '' });
  const artifacts = [...first.artifacts];
  for (let token = first.nextPageToken; token;) {
    const page = await api.artifacts.listArtifacts({ requestId, pageSize, pageToken: token });
    artifacts.push(...page.artifacts);
    token = page.nextPageToken;
  }
  return { ...first, artifacts, nextPageToken: '' };
}

/**
 * Downloads one artifact into `target` (or stdout when undefined), resuming from a partial
 * `<target>.part` left by an interrupted run, and verifies its SHA-256 before it gets its name.
 * @throws Error when the bytes do not match the manifest's size or SHA-256
 */
async function download(api: Api, requestId: string, path: string, target: string | undefined): Promise<Artifact> {
  const partial = target ? `${target}.part` : undefined;
  const offset = partial ? await stat(partial).then((s) => s.size, () => 0) : 0;
  const hash = createHash('sha256');
  if (partial && offset > 0) {
    const { createReadStream } = await import('node:fs');
    for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
  }
  if (partial) await mkdir(dirname(partial), { recursive: true });
  const sink: NodeJS.WritableStream = partial ? createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' }) : process.stdout;
  const progress = createProgressLine();
  let artifact: Artifact | undefined;
  let received = offset;
  try {
    for await (const message of api.artifacts.downloadArtifact({ requestId, path, offset }, { deadlineMs: 24 * 3_600_000 })) {
      if (message.artifact) artifact = message.artifact;
      if (!message.data) continue;
      hash.update(message.data);
      received += message.data.length;
      if (!sink.write(message.data)) await new Promise((r) => sink.once('drain', r));
      if (artifact) progress.update(`${path}: ${Math.floor((100 * received) / Math.max(1, artifact.sizeBytes))}% of ${artifact.sizeBytes} bytes`);
    }
  } finally {
    progress.stop();
    if (sink !== process.stdout) await new Promise<void>((r) => sink.end(() => r()));
  }
  if (!artifact) throw new Error(`the download of ${path} ended before it began`);
  const sha256 = hash.digest('hex');
  if (received !== artifact.sizeBytes || sha256 !== artifact.sha256) {
    if (partial) await rm(partial, { force: true });
    throw new Error(`${path}: got ${received} bytes with sha256 ${sha256}; the manifest says ${artifact.sizeBytes} bytes, sha256 ${artifact.sha256}`);
  }
  if (partial && target) await rename(partial, target);
  return artifact;
}

/**
 * `jobmesh artifacts ID [--json]`, `jobmesh artifacts get ID PATH [-o FILE]`,
 * `jobmesh artifacts get ID --all -o DIR`.
 */
export async function artifacts(api: Api, args: ParsedArgs, json: boolean): Promise<number> {
  const [first, ...more] = args.positionals;
  if (first !== 'get') {
    if (!first) throw new UsageError('artifacts needs a job id');
    const list = await listAll(api, first);
    if (json) return out(toJson(list)), 0;
    if (!list.collected) return out(`job ${first} has no collected artifacts (yet)`), 0;
    out(formatTable(['PATH', 'SIZE', 'MODE', 'SHA256'], list.artifacts.map((a) => [a.path, String(a.sizeBytes), a.mode.toString(8).padStart(4, '0'), a.sha256])));
    for (const pattern of list.unmatchedPatterns) out(`pattern ${JSON.stringify(pattern)} matched no file`);
    return 0;
  }
  const [requestId, path] = more;
  if (!requestId) throw new UsageError('artifacts get needs a job id');
  const output = flag(args, 'o', 'output');
  if (args.flags.has('all')) {
    if (!output) throw new UsageError('artifacts get --all needs -o DIR');
    const root = resolve(output);
    const list = await listAll(api, requestId);
    for (const artifact of list.artifacts) {
      const target = resolve(root, artifact.path);
      // Paths come from the server: never write outside DIR.
      if (!target.startsWith(root + sep)) throw new Error(`refusing artifact path ${artifact.path}: it leaves ${root}`);
      await download(api, requestId, artifact.path, target);
      process.stderr.write(`${artifact.path}  ${artifact.sizeBytes} bytes  sha256 ok\n`);
    }
    process.stderr.write(`${list.artifacts.length} artifacts in ${root}\n`);
    return 0;
  }
  if (!path) throw new UsageError('artifacts get needs a path (or --all -o DIR)');
  const target = output ? resolve(output) : undefined;
  const artifact = await download(api, requestId, path, target && (await stat(target).then((s) => s.isDirectory(), () => false)) ? join(target, path.split('/').at(-1)!) : target);
  if (target) process.stderr.write(`${artifact.path}  ${artifact.sizeBytes} bytes  sha256 ${artifact.sha256} ok\n`);
  return 0;
}
