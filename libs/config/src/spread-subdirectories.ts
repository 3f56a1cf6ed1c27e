import { execFile } from 'node:child_process';

/**
 * Asks ext4 to place every new subdirectory of `dir` in a block group of its own choosing, as it
 * does for top-level directories (`chattr +T`: the Orlov allocator's "top of a hierarchy" flag),
 * so the short-lived folders a service makes and removes by the thousand (a VM's folder, a
 * checkout, an artifact folder) spread over the disk instead of all landing in their parent's group.
 *
 * Why: on ext4 without a journal, every new inode is checked against the inodes of its group
 * deleted in the last 60 to 300 s (ialloc.c, recently_deleted), one inode-table lookup each; with
 * all of a service's churn in one group that check grew to most of vm-runner's CPU per job (kernel
 * time, bench mesh; see docs/BENCHMARKS.md). With a journal it costs nothing either way.
 *
 * Best effort: another filesystem, no `chattr` or no permission leaves the directory as it was.
 * @returns whether the flag is now set
 */
export function spreadSubdirectories(dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('chattr', ['+T', '--', dir], { timeout: 5000 }, (error) => resolve(!error));
  });
}
