import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { spawnService, type ServiceProcess } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createFsopsClient, type FsopsClient } from './support/index.ts';

// fsops as a process with an SSH agent in its environment and a stand-in for ssh (GIT_SSH_COMMAND)
// that writes down, per connection, the host git asked for and the agent socket it was handed.
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
type Ctx = { dir: string; fsops: ServiceProcess; client: FsopsClient };
const test = suite<Ctx>('fsops hands its SSH agent only to ssh hosts JOBMESH_REPO_URL_ALLOW names');
const commit = '0123456789abcdef0123456789abcdef01234567';

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-ssh-agent-'));
  const ssh = join(ctx.dir, 'fake-ssh');
  await writeFile(ssh, `#!/bin/sh\nfor a; do host="$a"; [ "\${a#-}" = "$a" ] && break; done\necho "$host agent=\${SSH_AUTH_SOCK-none}" >> '${join(ctx.dir, 'ssh.log')}'\nexit 255\n`);
  await chmod(ssh, 0o755);
  ctx.fsops = spawnService('fsops', entry, {
    JOBMESH_FSOPS_ADDR: '127.0.0.1:0', JOBMESH_PERSISTENCE_ADDR: '127.0.0.1:1', JOBMESH_DATA_DIR: join(ctx.dir, 'data'), JOBMESH_SHUTDOWN_GRACE_MS: '500', JOBMESH_LOG_LEVEL: 'info',
    GIT_SSH_COMMAND: ssh, SSH_AUTH_SOCK: join(ctx.dir, 'agent.sock'),
    // ssh://* lets any host be fetched from, but hands the agent to none.
    JOBMESH_REPO_URL_ALLOW: 'https://*, ssh://*, ssh://trusted.example, ssh://*.corp.example',
  });
  ctx.client = createFsopsClient(`127.0.0.1:${await withDeadline(ctx.fsops.serving, 60_000, 'fsops serving')}`);
});
test.after(async (ctx) => {
  ctx.client?.close();
  ctx.fsops?.child.kill('SIGTERM');
  if (ctx.fsops) await withDeadline(ctx.fsops.exited, 20_000, 'fsops stops');
  await rm(ctx.dir, { recursive: true, force: true });
});

/** Asks for a checkout of `url` (ssh fails: nothing listens) and returns what the fake ssh saw. */
async function sshSaw(ctx: Ctx, key: string, url: string): Promise<string> {
  await expectStatus(withDeadline(ctx.client.prepareWorkspace({ key, repoUrl: url, commitSha: commit, jobRequestId: '' }), 30_000, url), status.FAILED_PRECONDITION, { reason: 'REPOSITORY_UNREACHABLE' });
  const lines = (await readFile(join(ctx.dir, 'ssh.log'), 'utf8')).trim().split('\n');
  return lines.at(-1)!;
}

test('hosts not named (only through ssh://*): ssh runs without the agent, in both URL forms', async (ctx) => {
  assert.is(await sshSaw(ctx, 'evil-1', 'ssh://git@evil.example/r.git'), 'git@evil.example agent=none');
  assert.is(await sshSaw(ctx, 'evil-2', 'git@evil.example:r.git'), 'git@evil.example agent=none');
  assert.is(await sshSaw(ctx, 'evil-3', 'git@trusted.example.evil.example:r.git'), 'git@trusted.example.evil.example agent=none');
});

test('hosts named by an ssh entry (exact or *.domain): ssh gets SSH_AUTH_SOCK', async (ctx) => {
  const agent = join(ctx.dir, 'agent.sock');
  assert.is(await sshSaw(ctx, 'trusted-1', 'ssh://git@trusted.example/r.git'), `git@trusted.example agent=${agent}`);
  assert.is(await sshSaw(ctx, 'trusted-2', 'git@trusted.example:r.git'), `git@trusted.example agent=${agent}`);
  assert.is(await sshSaw(ctx, 'trusted-3', 'git@src.corp.example:team/r.git'), `git@src.corp.example agent=${agent}`);
});

test.run();
