// `npm start`: embedded Postgres (unless DATABASE_URL is set) and every service
// of the mesh as its own process, each waited for until its health check says
// SERVING; prints the endpoints; Ctrl-C stops everything cleanly.
import { join } from 'node:path';
import { assertSupportedNode, loadTlsConfig, serviceAddressDefaults, serviceAddressVariables } from '@jobmesh/config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@jobmesh/persistence/embedded';
import { ensureVmPackages } from './ensure-vm-packages.ts';
import { startServiceProcess, type ServiceProcess } from './start-service-process.ts';
import { waitUntilServing } from './wait-until-serving.ts';

assertSupportedNode();
const root = join(import.meta.dirname, '..', '..', '..');
/** Services in start order: each may depend on those before it. */
const services = [
  { name: 'persistence', key: 'persistence' as const, entry: 'apps/persistence/src/main.ts' },
  { name: 'vm-runner', key: 'vmRunner' as const, entry: 'apps/vm-runner/src/main.ts' },
  { name: 'fsops', key: 'fsops' as const, entry: 'apps/fsops/src/main.ts' },
  { name: 'orchestrator', key: 'orchestrator' as const, entry: 'apps/orchestrator/src/main.ts' },
];
const width = Math.max(...services.map((s) => s.name.length));

const env: NodeJS.ProcessEnv = { ...process.env };
for (const s of services) env[serviceAddressVariables[s.key]] ??= serviceAddressDefaults[s.key];
const dataDir = env.JOBMESH_DATA_DIR ?? join(root, '.jobmesh');
env.JOBMESH_DATA_DIR = dataDir;
// vm-runner runs only workspaces inside fsops' root (both default to <data>/fsops/workspaces): keep them one folder.
if (env.JOBMESH_FSOPS_WORKSPACE_ROOT) env.JOBMESH_VMRUNNER_WORKSPACE_ROOT ??= env.JOBMESH_FSOPS_WORKSPACE_ROOT;

let postgres: EmbeddedPostgres | undefined;
const running: ServiceProcess[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  for (const service of [...running].reverse()) {
    service.child.kill('SIGTERM');
    await Promise.race([service.exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (service.isAlive()) service.child.kill('SIGKILL');
  }
  await postgres?.stop();
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  await ensureVmPackages((line) => process.stdout.write(`setup    │ ${line}\n`));
  if (!env.DATABASE_URL) {
    // Postgres's routine LOG lines (checkpoints) drown the services' own; keep its warnings and errors.
    postgres = await startEmbeddedPostgres({
      dataDir,
      onLog: (line) => {
        if (/\b(WARNING|ERROR|FATAL|PANIC)\b/.test(line)) process.stdout.write(`postgres${' '.repeat(Math.max(0, width - 8))} │ ${line}\n`);
      },
    });
    env.DATABASE_URL = postgres.url;
    process.stdout.write(`postgres │ embedded, data in ${dataDir}, ${postgres.url.replace(/:[^:@/]+@/, ':***@')}\n`);
  }
  for (const [index, s] of services.entries()) {
    const service = startServiceProcess(s.name, join(root, s.entry), env, index, width);
    running.push(service);
    void service.exited.then((code) => {
      if (!stopping) {
        process.stderr.write(`${s.name} exited with ${code}; stopping the mesh\n`);
        void stopAll(1);
      }
    });
    await waitUntilServing(env[serviceAddressVariables[s.key]]!, 120_000, service.isAlive, loadTlsConfig(env, s.name));
  }
  // The web console: a client of the public API only, started last (it builds its front end when missing or stale).
  env.JOBMESH_CONSOLE_ADDR ??= '127.0.0.1:8080';
  const consoleService = startServiceProcess('console', join(root, 'apps/console/src/main.ts'), env, services.length, width);
  running.push(consoleService);
  void consoleService.exited.then((code) => {
    if (!stopping) process.stderr.write(`console exited with ${code}; the mesh goes on without it\n`);
  });
  const consoleUrl = `http://${env.JOBMESH_CONSOLE_ADDR.replace(/^(0\.0\.0\.0|\[::\]):/, '127.0.0.1:')}/`;
  for (const deadline = Date.now() + 120_000; consoleService.isAlive() && Date.now() < deadline;) {
    if (await fetch(consoleUrl).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stdout.write('\njobmesh is up:\n');
  for (const s of services) process.stdout.write(`  ${s.name.padEnd(width)}  ${env[serviceAddressVariables[s.key]]}\n`);
  process.stdout.write(`  ${'console'.padEnd(width)}  ${consoleService.isAlive() ? consoleUrl : 'did not start (see its lines above)'}\n`);
  process.stdout.write(`\nTry it:\n  npx jobmesh submit --repo file://$PWD --commit $(git rev-parse HEAD) --runs-on local --follow -- 'ls; echo hello'\n`);
  process.stdout.write('Ctrl-C stops everything.\n\n');
} catch (error) {
  process.stderr.write(`the mesh did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll(1);
}
