import { open, readdir, rename, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runDirFiles } from './run-dir-files.ts';

/** Size at which a running VM's console is rotated, and what the rotation keeps, in bytes. */
export const consoleRotateBytes = 1024 * 1024;
const consoleKeepBytes = 256 * 1024;

/** A console's end as text. */
export interface ConsoleTail {
  text: string;
  /** Older output exists than `text` shows. */
  truncated: boolean;
}

async function readEnd(path: string, maxBytes: number): Promise<{ data: Buffer; size: number } | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const data = Buffer.alloc(length);
    await handle.read(data, 0, length, size - length);
    return { data, size };
  } finally {
    await handle.close();
  }
}

/** Text of console bytes: terminal escapes and control characters other than newline and tab removed. */
function toText(data: Buffer): string {
  // eslint-disable-next-line no-control-regex
  return data.toString('utf8').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/**
 * The last `maxBytes` of a console file and of its rotated predecessor (`<file>.1`), oldest first.
 * @returns undefined when neither exists
 */
export async function readConsoleFile(path: string, maxBytes: number): Promise<ConsoleTail | undefined> {
  const current = await readEnd(path, maxBytes);
  const previous = current && current.data.length >= maxBytes ? undefined : await readEnd(`${path}.1`, maxBytes - (current?.data.length ?? 0));
  if (!current && !previous) return undefined;
  const data = Buffer.concat([previous?.data ?? Buffer.alloc(0), current?.data ?? Buffer.alloc(0)]);
  const total = (current?.size ?? 0) + (previous?.size ?? 0);
  return { text: toText(data), truncated: total > data.length };
}

/** The end of a VM's serial console (its run dir), for errors: one line of text, '(no console output)' when empty. */
export async function consoleTail(runDir: string, maxBytes = 2048): Promise<string> {
  const tail = runDir ? await readConsoleFile(runDirFiles(runDir).consoleLog, maxBytes) : undefined;
  return tail?.text.trim() || '(no console output)';
}

/**
 * Keeps a running VM's console bounded: past {@link consoleRotateBytes}, its last 256 KiB go to
 * `console.log.1` and `console.log` is truncated (qemu appends, so it goes on at the new end).
 */
export async function rotateConsole(runDir: string): Promise<void> {
  const path = runDirFiles(runDir).consoleLog;
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size <= consoleRotateBytes) return;
  const end = await readEnd(path, consoleKeepBytes);
  if (!end) return;
  await writeFile(`${path}.1.tmp`, end.data);
  await rename(`${path}.1.tmp`, `${path}.1`);
  await truncate(path, 0);
}

/**
 * Keeps the end of a destroyed VM's console as `<archiveDir>/<vm id>.log` (64 KiB), so a guest
 * that never became ready can be read after its files are gone; only the newest `keep` stay.
 */
export async function archiveConsole(runDir: string, archiveDir: string, vmId: string, keep = 500): Promise<void> {
  const tail = runDir ? await readConsoleFile(runDirFiles(runDir).consoleLog, 64 * 1024) : undefined;
  if (!tail) return;
  // 0600 like the run folder it came from: boot messages are vm-runner's to show, through ReadConsole.
  await writeFile(join(archiveDir, `${vmId}.log`), tail.text, { mode: 0o600 });
  const names = (await readdir(archiveDir)).filter((n) => n.endsWith('.log'));
  if (names.length <= keep) return;
  const dated = await Promise.all(names.map(async (name) => ({ name, at: (await stat(join(archiveDir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => a.at - b.at);
  await Promise.all(dated.slice(0, dated.length - keep).map((d) => unlink(join(archiveDir, d.name)).catch(() => undefined)));
}

/** Reads an archived console. */
export function readArchivedConsole(archiveDir: string, vmId: string, maxBytes: number): Promise<ConsoleTail | undefined> {
  return readConsoleFile(join(archiveDir, `${vmId}.log`), maxBytes);
}

