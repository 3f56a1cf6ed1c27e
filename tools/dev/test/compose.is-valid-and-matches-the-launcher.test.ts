import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
const compose = (...args: string[]) => run('docker-compose', ['-f', join(root, 'docker-compose.yml'), ...args], { cwd: root });

test('docker-compose accepts the file (no Docker engine needed to check it)', async () => {
  const { stdout } = await compose('config', '--services');
  assert.equal(stdout.trim().split('\n').sort(), ['console', 'fsops', 'jaeger', 'orchestrator', 'persistence', 'postgres', 'vm-runner']);
});

test('each service has a gRPC health check and waits for what it needs to be healthy', async () => {
  const { stdout } = await compose('config');
  for (const service of ['persistence', 'vm-runner', 'fsops', 'orchestrator']) {
    const block = stdout.split(/\n  (?=[a-z-]+:\n)/).find((b) => b.startsWith(`${service}:`)) ?? '';
    assert.match(block, /deploy\/docker\/health-check\.ts/, `${service} health check`);
    assert.match(block, /condition: service_healthy/, `${service} depends on healthy services`);
  }
  assert.match(stdout, /\/dev\/kvm/);
  assert.match(stdout, /COLLECTOR_OTLP_ENABLED/);
});

test('every JOBMESH_* variable the file sets is one a service reads (the same names npm start uses)', async () => {
  const file = await readFile(join(root, 'docker-compose.yml'), 'utf8');
  const used = new Set(file.match(/JOBMESH_[A-Z_]+/g));
  const sources = await Promise.all(['persistence', 'vm-runner', 'fsops', 'orchestrator', 'console'].map((app) => readFile(join(root, 'apps', app, 'src/config.ts'), 'utf8')));
  const read = new Set(sources.join('\n').match(/JOBMESH_[A-Z_]+/g));
  for (const name of used) assert.ok(read.has(name), `${name} is read by a service`);
  const launcher = await readFile(join(root, 'libs/config/src/service-addresses.ts'), 'utf8');
  for (const name of ['JOBMESH_ORCHESTRATOR_ADDR', 'JOBMESH_PERSISTENCE_ADDR', 'JOBMESH_VMRUNNER_ADDR', 'JOBMESH_FSOPS_ADDR']) {
    assert.ok(used.has(name) && launcher.includes(name), `${name} in both`);
  }
});

test.run();
