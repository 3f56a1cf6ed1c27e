import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceName, TestMesh } from '@jobmesh/orchestrator/testing';

/**
 * Writes what every process of each service printed (plus extra lines) into a fresh temp
 * folder, so a failed drill can be read afterwards; never into the repository.
 * @returns the folder
 */
export async function dumpMeshLogs(mesh: TestMesh, drill: string, extra: string[] = []): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `jobmesh-drill-${drill}-logs-`));
  for (const name of ['persistence', 'vm-runner', 'fsops', 'orchestrator'] as ServiceName[]) await writeFile(join(dir, `${name}.log`), mesh.history(name));
  await writeFile(join(dir, 'timeline.txt'), extra.join('\n') + '\n');
  return dir;
}
