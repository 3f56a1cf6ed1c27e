import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VmRecord } from './vm-record.ts';

/** The JSON records of this host's VMs: one file per VM, written atomically. */
export interface VmStateStore {
  /** Folder holding the records and each VM's folder. */
  readonly vmsDir: string;
  /** Folder of one VM's files. */
  dirOf(id: string): string;
  /** Writes a record through a temporary file and a rename, so a crash never leaves half a record. */
  save(record: VmRecord): Promise<void>;
  /** Every readable record; unreadable ones are reported, not thrown. */
  loadAll(onBadFile: (file: string, error: unknown) => void): Promise<VmRecord[]>;
  /** Removes a record. */
  remove(id: string): Promise<void>;
}

/** Opens (creating) `<stateDir>/vms`. */
export async function createVmStateStore(stateDir: string): Promise<VmStateStore> {
  const vmsDir = join(stateDir, 'vms');
  await mkdir(vmsDir, { recursive: true });
  const fileOf = (id: string) => join(vmsDir, `${id}.json`);
  return {
    vmsDir,
    dirOf: (id) => join(vmsDir, id),
    async save(record) {
      const temp = `${fileOf(record.id)}.${randomUUID()}.tmp`;
      await writeFile(temp, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
      await rename(temp, fileOf(record.id));
    },
    async loadAll(onBadFile) {
      const records: VmRecord[] = [];
      for (const name of await readdir(vmsDir)) {
        if (name.endsWith('.tmp')) {
          // Left by a crash between write and rename; the previous record (if any) is intact.
          await rm(join(vmsDir, name), { force: true });
          continue;
        }
        if (!name.endsWith('.json')) continue;
        try {
          records.push(JSON.parse(await readFile(join(vmsDir, name), 'utf8')) as VmRecord);
        } catch (error) {
          onBadFile(name, error);
        }
      }
      return records;
    },
    remove: (id) => rm(fileOf(id), { force: true }),
  };
}
