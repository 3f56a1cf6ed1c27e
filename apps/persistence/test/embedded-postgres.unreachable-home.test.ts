import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { skipTest } from '@jobmesh/testing-tools';
import { startEmbeddedPostgres } from '../src/embedded/start-embedded-postgres.ts';

test('as root under a 0700 folder (a home such as /root): the cluster lives where postgres can reach it, and it says where', async () => {
  if (process.getuid?.() !== 0) return skipTest('only root runs Postgres as another user');
  const home = await mkdtemp(path.join(tmpdir(), 'jobmesh-home-')); // 0700, like /root
  const dataDir = path.join(home, 'project', '.jobmesh');
  const logs: string[] = [];
  let location = '';
  try {
    const postgres = await withDeadline(startEmbeddedPostgres({ dataDir, fast: true, onLog: (line) => logs.push(line) }), 90_000, 'start');
    try {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      assert.is((await client.query('SELECT 1 AS one')).rows[0].one, 1);
      await client.end();
    } finally {
      await postgres.stop();
    }
    assert.is(((await stat(home)).mode & 0o777), 0o700, 'the home folder is left as it was');
    location = (await readFile(path.join(dataDir, 'pg-location'), 'utf8')).trim();
    assert.match(location, /^\/var\/lib\/jobmesh\/embedded-postgres\/[0-9a-f]{16}$/);
    assert.ok((await stat(path.join(location, 'pg', 'PG_VERSION'))).isFile(), 'the cluster is there');
    assert.ok(logs.some((line) => line.includes(`cannot enter ${home}`) && line.includes(location)), logs.join('\n'));
  } finally {
    await rm(home, { recursive: true, force: true });
    if (location) await rm(location, { recursive: true, force: true });
  }
});

test.run();
