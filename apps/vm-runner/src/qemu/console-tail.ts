import { open } from 'node:fs/promises';
import { runDirFiles } from './run-dir-files.ts';

/**
 * The last `maxBytes` of a VM's serial console (`console.log` in its run dir), as text with
 * control characters other than newlines and tabs removed; '(no console output)' when empty.
 */
export async function consoleTail(runDir: string, maxBytes = 2048): Promise<string> {
  if (!runDir) return '(no console)';
  let handle;
  try {
    handle = await open(runDirFiles(runDir).consoleLog, 'r');
  } catch {
    return '(no console output)';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    // eslint-disable-next-line no-control-regex
    const text = buffer.toString('utf8').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trim();
    return text || '(no console output)';
  } finally {
    await handle.close();
  }
}
