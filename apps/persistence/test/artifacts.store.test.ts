import { createHash, randomUUID } from 'node:crypto';
import { manifestSha256 } from '@jobmesh/artifacts';
import type { ArtifactFile, RecordArtifactsRequest } from '@jobmesh/contracts/jobmesh/persistence/v1/artifacts.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

const test = suite<{ p: TestPersistence }>('persistence artifacts');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const file = (path: string, mode = 0o644): ArtifactFile => ({ path, sizeBytes: Buffer.byteLength(`content of ${path}`), sha256: sha256(`content of ${path}`), mode });
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A valid request for `files` of a job, hash computed; override any field. */
function recordRequest(jobRequestId: string, files: ArtifactFile[], overrides: Partial<RecordArtifactsRequest> = {}): RecordArtifactsRequest {
  return {
    jobRequestId,
    artifactDir: files.length ? `/var/lib/jobmesh/artifacts/${jobRequestId}` : '',
    files,
    manifestSha256: manifestSha256(files),
    unmatchedPatterns: [],
    ...overrides,
  };
}

async function newJob(p: TestPersistence): Promise<string> {
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  return spec.requestId;
}

const listAll = async (p: TestPersistence, jobRequestId: string, pageSize: number) => {
  const pages: string[][] = [];
  let pageToken = '';
  do {
    const page = await p.clients.artifacts.listArtifacts({ jobRequestId, pageSize, pageToken });
    pages.push(page.files.map((f) => f.path));
    pageToken = page.nextPageToken;
  } while (pageToken && pages.length < 100);
  return pages;
};

test('RecordArtifacts stores the manifest and sets the job\'s artifact_manifest; the same manifest again changes nothing', async ({ p }) => {
  const jobRequestId = await newJob(p);
  const before = await p.clients.jobs.getJob({ requestId: jobRequestId });
  assert.is(before.job!.artifactManifest, '');
  const files = [file('out/b.txt'), file('out/a.txt', 0o755), file('report.xml')];
  const request = recordRequest(jobRequestId, files, { unmatchedPatterns: ['missing/**'] });
  const first = await p.clients.artifacts.recordArtifacts(request);
  assert.is(first.created, true);
  assert.is(first.set!.jobRequestId, jobRequestId);
  assert.is(first.set!.manifestSha256, request.manifestSha256);
  assert.is(first.set!.fileCount, 3);
  assert.is(first.set!.bytesTotal, files.reduce((n, f) => n + f.sizeBytes, 0));
  assert.equal(first.set!.unmatchedPatterns, ['missing/**']);
  assert.is(first.set!.artifactDir, request.artifactDir);
  assert.ok(first.set!.recordedAt instanceof Date);

  const { job } = await p.clients.jobs.getJob({ requestId: jobRequestId });
  assert.is(job!.artifactManifest, request.manifestSha256);

  // The files in another order are the same manifest.
  const again = await p.clients.artifacts.recordArtifacts({ ...request, files: [...files].reverse() });
  assert.is(again.created, false);
  assert.equal(again.set, first.set);

  const listed = await p.clients.artifacts.listArtifacts({ jobRequestId, pageSize: 0, pageToken: '' });
  assert.is(listed.recorded, true);
  assert.equal(listed.set, first.set);
  assert.equal(listed.files, [...files].sort((a, b) => byCodeUnit(a.path, b.path)));
  assert.is(listed.nextPageToken, '');
});

test('racing recordings of the same manifest: exactly one creates it', async ({ p }) => {
  const jobRequestId = await newJob(p);
  // Enough files that the insert takes a while, so the recordings overlap.
  const request = recordRequest(jobRequestId, Array.from({ length: 2000 }, (_, i) => file(`out/${i}`)));
  const results = await Promise.all(Array.from({ length: 8 }, () => p.clients.artifacts.recordArtifacts(request)));
  assert.is(results.filter((r) => r.created).length, 1);
  assert.is(new Set(results.map((r) => r.set!.recordedAt!.getTime())).size, 1);
});

test('another manifest for a job that has one is ALREADY_EXISTS (ARTIFACTS_RECORDED) and changes nothing', async ({ p }) => {
  const jobRequestId = await newJob(p);
  const files = [file('out/a.txt'), file('out/b.txt')];
  const request = recordRequest(jobRequestId, files, { unmatchedPatterns: ['x/**'] });
  await p.clients.artifacts.recordArtifacts(request);
  const others: RecordArtifactsRequest[] = [
    recordRequest(jobRequestId, [file('out/a.txt')]),
    recordRequest(jobRequestId, [...files, file('out/c.txt')]),
    recordRequest(jobRequestId, []),
    // Same paths, sizes and digests (so the same manifest_sha256), but another mode, directory or patterns.
    recordRequest(jobRequestId, [file('out/a.txt', 0o600), file('out/b.txt')], { unmatchedPatterns: ['x/**'] }),
    { ...request, artifactDir: '/elsewhere' },
    { ...request, unmatchedPatterns: [] },
  ];
  for (const other of others) {
    await expectStatus(p.clients.artifacts.recordArtifacts(other), status.ALREADY_EXISTS, { reason: 'ARTIFACTS_RECORDED' });
  }
  const listed = await p.clients.artifacts.listArtifacts({ jobRequestId, pageSize: 0, pageToken: '' });
  assert.equal(listed.files, files);
  assert.is(listed.set!.manifestSha256, request.manifestSha256);
  const { job } = await p.clients.jobs.getJob({ requestId: jobRequestId });
  assert.is(job!.artifactManifest, request.manifestSha256);
});

test('an empty manifest records no files, the hash of nothing, and patterns that matched nothing', async ({ p }) => {
  const jobRequestId = await newJob(p);
  const { set, created } = await p.clients.artifacts.recordArtifacts(recordRequest(jobRequestId, [], { unmatchedPatterns: ['out/**', 'dist/*.tgz'] }));
  assert.is(created, true);
  assert.is(set!.manifestSha256, sha256(''));
  assert.is(set!.fileCount, 0);
  assert.is(set!.bytesTotal, 0);
  assert.is(set!.artifactDir, '');
  assert.equal(set!.unmatchedPatterns, ['out/**', 'dist/*.tgz']);
  const listed = await p.clients.artifacts.listArtifacts({ jobRequestId, pageSize: 0, pageToken: '' });
  assert.is(listed.recorded, true);
  assert.equal(listed.files, []);
  assert.is((await p.clients.jobs.getJob({ requestId: jobRequestId })).job!.artifactManifest, sha256(''));
});

test('RecordArtifacts refuses bad input naming the field, and records nothing', async ({ p }) => {
  const jobRequestId = await newJob(p);
  const good = [file('out/a.txt'), file('out/b.txt')];
  const cases: [RecordArtifactsRequest, string][] = [
    [recordRequest('not-a-uuid', good), 'job_request_id'],
    [recordRequest('', good), 'job_request_id'],
    [recordRequest(jobRequestId, good, { manifestSha256: sha256('something else') }), 'manifest_sha256'],
    [recordRequest(jobRequestId, good, { manifestSha256: '' }), 'manifest_sha256'],
    [recordRequest(jobRequestId, good, { manifestSha256: manifestSha256(good).toUpperCase() }), 'manifest_sha256'],
    [{ ...recordRequest(jobRequestId, good), files: [good[0]!, { ...good[1]!, sizeBytes: good[1]!.sizeBytes + 1 }] }, 'manifest_sha256'],
    [recordRequest(jobRequestId, [file('out/a.txt'), file('../escape')]), 'files[1].path'],
    [recordRequest(jobRequestId, [file('/etc/passwd')]), 'files[0].path'],
    [recordRequest(jobRequestId, [file('out//a')]), 'files[0].path'],
    [recordRequest(jobRequestId, [file('out/./a')]), 'files[0].path'],
    [recordRequest(jobRequestId, [file('')]), 'files[0].path'],
    [recordRequest(jobRequestId, [file('line\nbreak')]), 'files[0].path'],
    [recordRequest(jobRequestId, [file('x'.repeat(4097))]), 'files[0].path'],
    [recordRequest(jobRequestId, [file('out/a.txt'), file('out/b.txt'), file('out/a.txt')]), 'files[2].path'],
    [recordRequest(jobRequestId, [{ ...file('a'), sha256: 'A'.repeat(64) }]), 'files[0].sha256'],
    [recordRequest(jobRequestId, [{ ...file('a'), sha256: 'abc' }]), 'files[0].sha256'],
    [recordRequest(jobRequestId, [{ ...file('a'), sizeBytes: -1 }]), 'files[0].size_bytes'],
    [recordRequest(jobRequestId, [{ ...file('a'), mode: 0o10000 }]), 'files[0].mode'],
    [recordRequest(jobRequestId, good, { artifactDir: 'relative/dir' }), 'artifact_dir'],
    [recordRequest(jobRequestId, good, { artifactDir: '' }), 'artifact_dir'],
    [recordRequest(jobRequestId, good, { unmatchedPatterns: [''] }), 'unmatched_patterns[0]'],
    [recordRequest(jobRequestId, Array.from({ length: 10_001 }, (_, i) => file(`f/${i}`))), 'files'],
  ];
  for (const [request, field] of cases) {
    await expectStatus(p.clients.artifacts.recordArtifacts(request), status.INVALID_ARGUMENT, { field });
  }
  const listed = await p.clients.artifacts.listArtifacts({ jobRequestId, pageSize: 0, pageToken: '' });
  assert.is(listed.recorded, false);
  assert.is((await p.clients.jobs.getJob({ requestId: jobRequestId })).job!.artifactManifest, '');
});

test('RecordArtifacts takes the largest manifest: 10000 files', async ({ p }) => {
  const jobRequestId = await newJob(p);
  const files = Array.from({ length: 10_000 }, (_, i) => file(`out/${String(i).padStart(5, '0')}.bin`));
  const { set } = await withDeadline(p.clients.artifacts.recordArtifacts(recordRequest(jobRequestId, files)), 30_000, 'record 10000 files');
  assert.is(set!.fileCount, 10_000);
  const last = await p.clients.artifacts.getArtifact({ jobRequestId, path: 'out/09999.bin' });
  assert.equal(last.file, files.at(-1));
});

test('every call about an unknown job is NOT_FOUND (JOB_NOT_FOUND)', async ({ p }) => {
  const jobRequestId = randomUUID();
  await expectStatus(p.clients.artifacts.recordArtifacts(recordRequest(jobRequestId, [file('a')])), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
  await expectStatus(p.clients.artifacts.listArtifacts({ jobRequestId, pageSize: 0, pageToken: '' }), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
  await expectStatus(p.clients.artifacts.getArtifact({ jobRequestId, path: 'a' }), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
});

test('ListArtifacts: recorded = false and no set before a manifest is recorded', async ({ p }) => {
  const jobRequestId = await newJob(p);
  const listed = await p.clients.artifacts.listArtifacts({ jobRequestId, pageSize: 0, pageToken: '' });
  assert.equal(listed, { recorded: false, set: undefined, files: [], nextPageToken: '' });
});

test('ListArtifacts pages by path, in byte order, without gaps or repeats', async ({ p }) => {
  const jobRequestId = await newJob(p);
  // Upper before lower case, digits before letters, multi-byte last: byte order, not a locale's.
  const names = ['b', 'B', 'a', 'A', '_', '1', 'é', 'z/deep/file', 'Z', 'ä', 'a.b', 'a-b', 'a/b', '0', '~', 'ß', 'cc', 'c', 'C', 'x y'];
  const files = names.map((name, i) => file(name, 0o600 + i));
  await p.clients.artifacts.recordArtifacts(recordRequest(jobRequestId, files));
  const pages = await listAll(p, jobRequestId, 7);
  assert.equal(pages.map((page) => page.length), [7, 7, 6]);
  assert.equal(pages.flat(), [...names].sort(byCodeUnit));

  // page_size 0 is 100.
  const many = await newJob(p);
  await p.clients.artifacts.recordArtifacts(recordRequest(many, Array.from({ length: 150 }, (_, i) => file(`out/${String(i).padStart(3, '0')}`))));
  assert.equal((await listAll(p, many, 0)).map((page) => page.length), [100, 50]);
  const exact = await listAll(p, many, 150);
  assert.equal(exact.map((page) => page.length), [150]);
});

test('ListArtifacts refuses bad page sizes and tokens naming the field', async ({ p }) => {
  const jobRequestId = await newJob(p);
  await p.clients.artifacts.recordArtifacts(recordRequest(jobRequestId, [file('a'), file('b')]));
  const list = (pageSize: number, pageToken = '') => p.clients.artifacts.listArtifacts({ jobRequestId, pageSize, pageToken });
  await expectStatus(list(1001), status.INVALID_ARGUMENT, { field: 'page_size' });
  await expectStatus(list(-1), status.INVALID_ARGUMENT, { field: 'page_size' });
  await expectStatus(list(0, 'garbage!'), status.INVALID_ARGUMENT, { field: 'page_token' });
  const jobs = await p.clients.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 1, pageToken: '' });
  assert.ok(jobs.nextPageToken);
  await expectStatus(list(0, jobs.nextPageToken), status.INVALID_ARGUMENT, { field: 'page_token' });
  await expectStatus(p.clients.artifacts.listArtifacts({ jobRequestId: 'x', pageSize: 0, pageToken: '' }), status.INVALID_ARGUMENT, { field: 'job_request_id' });
  assert.equal((await list(1000)).files.map((f) => f.path), ['a', 'b']);
});

test('GetArtifact reads one file with its manifest; a path not in it is NOT_FOUND (ARTIFACT_NOT_FOUND, field path)', async ({ p }) => {
  const jobRequestId = await newJob(p);
  await expectStatus(p.clients.artifacts.getArtifact({ jobRequestId, path: 'out/a.txt' }), status.NOT_FOUND, { reason: 'ARTIFACT_NOT_FOUND', field: 'path' });
  const files = [file('out/a.txt', 0o755), file('out/sub/b.bin')];
  const { set } = await p.clients.artifacts.recordArtifacts(recordRequest(jobRequestId, files));
  const got = await p.clients.artifacts.getArtifact({ jobRequestId, path: 'out/sub/b.bin' });
  assert.equal(got.file, files[1]);
  assert.equal(got.set, set);
  assert.is((await p.clients.artifacts.getArtifact({ jobRequestId, path: 'out/a.txt' })).file!.mode, 0o755);
  await expectStatus(p.clients.artifacts.getArtifact({ jobRequestId, path: 'out/missing' }), status.NOT_FOUND, { reason: 'ARTIFACT_NOT_FOUND', field: 'path' });
  await expectStatus(p.clients.artifacts.getArtifact({ jobRequestId, path: 'out' }), status.NOT_FOUND, { reason: 'ARTIFACT_NOT_FOUND', field: 'path' });
  await expectStatus(p.clients.artifacts.getArtifact({ jobRequestId, path: '../out/a.txt' }), status.INVALID_ARGUMENT, { field: 'path' });
  await expectStatus(p.clients.artifacts.getArtifact({ jobRequestId, path: '' }), status.INVALID_ARGUMENT, { field: 'path' });
  await expectStatus(p.clients.artifacts.getArtifact({ jobRequestId: 'nope', path: 'out/a.txt' }), status.INVALID_ARGUMENT, { field: 'job_request_id' });
});

test('the schema itself refuses unsafe paths, bad digests and modes', async ({ p }) => {
  const jobRequestId = await newJob(p);
  await p.clients.artifacts.recordArtifacts(recordRequest(jobRequestId, [file('ok')]));
  const client = new pg.Client({ connectionString: p.database.url });
  await client.connect();
  try {
    const insert = (path: string, digest = sha256(path), mode = 0o644) => client.query(
      'INSERT INTO artifact_files (job_request_id, path, size_bytes, sha256, mode) VALUES ($1, $2, 0, $3, $4)', [jobRequestId, path, digest, mode]);
    for (const path of ['', '/abs', '..', 'a/../b', './a', 'a/.', 'a//b', 'a/', 'x\ny', 'x'.repeat(4097)]) {
      const error = await insert(path).then(() => undefined, (e: { code?: string }) => e);
      assert.is(error?.code, '23514', `path ${JSON.stringify(path.slice(0, 20))} is refused by a CHECK`);
    }
    for (const [digest, mode] of [['A'.repeat(64), 0o644], [sha256('x'), 0o10000], [sha256('x'), -1]] as const) {
      const error = await insert(`f-${digest.slice(0, 4)}-${mode}`, digest, mode).then(() => undefined, (e: { code?: string }) => e);
      assert.is(error?.code, '23514');
    }
    await insert('...');
    await insert('.hidden/a..b');
  } finally {
    await client.end();
  }
});

test.run();
