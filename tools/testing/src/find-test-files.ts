import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

const skipped = new Set(['node_modules', '.git', '.nx', '.jobmesh', 'generated', 'dist']);

/** Every `*.test.ts` below `directories` (relative to root), sorted, skipping dependencies and generated code. */
export async function findTestFiles(root: string, directories: string[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!skipped.has(entry.name)) await walk(join(dir, entry.name));
      } else if (entry.name.endsWith('.test.ts')) {
        found.push(relative(root, join(dir, entry.name)));
      }
    }
  };
  for (const directory of directories) await walk(join(root, directory));
  return found.sort();
}
