import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { baseDiskLabel } from './guest-image.ts';
import { runCommand } from './run-command.ts';

/**
 * Makes the raw ext4 base disk (`mkfs.ext4 -d`, no root or loop devices needed) with an
 * empty `/work` directory, where the guest unpacks the workspace and runs the job.
 *
 * @param sizeMb - disk size in MiB. @default 64
 */
export async function buildBaseDisk(outputPath: string, stagingDir: string, sizeMb = 64): Promise<void> {
  await mkdir(path.join(stagingDir, 'work'), { recursive: true });
  await writeFile(path.join(stagingDir, 'README'), 'jobmesh test guest base disk: mounted at /mnt/disk; jobs run in /mnt/disk/work.\n');
  // Fixed UUID and hash seed so the same inputs give the same image layout.
  await runCommand('mkfs.ext4', ['-q', '-F', '-L', baseDiskLabel, '-U', '5a0d0b1e-0000-4000-8000-000000000000', '-E', 'hash_seed=5a0d0b1e-0000-4000-8000-000000000001', '-d', stagingDir, outputPath, `${sizeMb}M`]);
}
