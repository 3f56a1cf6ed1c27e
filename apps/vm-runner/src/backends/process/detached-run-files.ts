import { existsSync } from 'node:fs';
import { appendFile, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecOutcome } from '../backend.ts';

/** One piece of a detached job's output, as it was first sent (so a re-join sends the same). */
export interface RunChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** Largest chunk cut from an output file, in bytes: well under the 16 MiB message limit. */
const maxChunkBytes = 256 * 1024;

/**
 * The files of a detached process job under `<vmDir>/run`: `stdout` and `stderr` (the job
 * writes them directly, so it outlives any reader), `chunks.jsonl` (the bounds of every chunk
 * already sent, written before the chunk goes out, so every reader cuts the same chunks),
 * `began` (made by the wrapper shell itself before it runs the script: without it the job never
 * ran, even if the folder exists), `exit-code` (written by the wrapper shell when the job ends on
 * its own) and `result.json` (the outcome, written by the vm-runner that saw the end).
 */
export function detachedRunFiles(vmDir: string) {
  const dir = join(vmDir, 'run');
  const path = (name: string) => join(dir, name);
  const offsets = { stdout: 0, stderr: 0 };

  const readSlice = async (stream: RunChunk['stream'], offset: number, length: number) => {
    const handle = await open(path(stream), 'r');
    try {
      const data = Buffer.alloc(length);
      const { bytesRead } = await handle.read(data, 0, length, offset);
      return data.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  };

  return {
    dir,
    path,
    /** True when a detached job was ever set up in this VM (it may not have begun). */
    exists: () => existsSync(dir),
    /** True when the job's wrapper began (or left any other trace of running): it must never start again. */
    began: () => ['began', 'exit-code', 'chunks.jsonl'].some((name) => existsSync(path(name))),
    /** The chunks already sent, in order; also moves the read offsets past them. */
    async loadChunks(): Promise<RunChunk[]> {
      const text = existsSync(path('chunks.jsonl')) ? await readFile(path('chunks.jsonl'), 'utf8') : '';
      const chunks: RunChunk[] = [];
      for (const line of text.split('\n')) {
        if (!line) continue;
        const { s, o, n } = JSON.parse(line) as { s: RunChunk['stream']; o: number; n: number };
        chunks.push({ stream: s, data: await readSlice(s, o, n) });
        offsets[s] = o + n;
      }
      return chunks;
    },
    /** Cuts the output written since the last call into chunks, recording their bounds first. */
    async readNew(): Promise<RunChunk[]> {
      const chunks: RunChunk[] = [];
      for (const s of ['stdout', 'stderr'] as const) {
        const size = await stat(path(s)).then((st) => st.size, () => 0);
        while (offsets[s] < size) {
          const n = Math.min(maxChunkBytes, size - offsets[s]);
          const data = await readSlice(s, offsets[s], n);
          if (data.length === 0) break;
          await appendFile(path('chunks.jsonl'), `${JSON.stringify({ s, o: offsets[s], n: data.length })}\n`);
          offsets[s] += data.length;
          chunks.push({ stream: s, data });
        }
      }
      return chunks;
    },
    async readResult(): Promise<ExecOutcome | undefined> {
      return existsSync(path('result.json')) ? (JSON.parse(await readFile(path('result.json'), 'utf8')) as ExecOutcome) : undefined;
    },
    /** How the job ended by itself, from the wrapper's exit-code file; undefined when it was killed. */
    async readExitCode(): Promise<number | undefined> {
      const text = await readFile(path('exit-code'), 'utf8').catch(() => '');
      return /^\d+\s*$/.test(text) ? Number(text) : undefined;
    },
    writeResult: (outcome: ExecOutcome) => writeFile(path('result.json'), JSON.stringify(outcome)),
  };
}

/** The files of one detached job. */
export type DetachedRunFiles = ReturnType<typeof detachedRunFiles>;
