import { existsSync } from 'node:fs';
import { appendFile, open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecOutcome } from '../backend.ts';

/** Where one piece of a detached job's output lies, as it was first cut (so every reader sends the same chunks). */
export interface ChunkBounds {
  stream: 'stdout' | 'stderr';
  /** Byte offset in the stream's file. */
  offset: number;
  length: number;
}

/** Largest chunk cut from an output file, in bytes: well under the 16 MiB message limit. */
const maxChunkBytes = 256 * 1024;
/** Bytes of `chunks.jsonl` a reader takes at once (about 1500 chunk lines). */
const indexBlockBytes = 64 * 1024;

/** Reads the chunk index from the start, a block at a time: memory stays bounded however long the output. */
export interface ChunkIndexReader {
  /** The chunks indexed since the last call (complete lines only); [] when none yet. */
  next(): Promise<ChunkBounds[]>;
  /** Bytes of the index read so far (whole lines). */
  position(): number;
}

/**
 * The files of a detached process job under `<vmDir>/run`: `stdout` and `stderr` (the job
 * writes them directly, so it outlives any reader), `chunks.jsonl` (the index: the bounds of
 * every chunk, one line each, written by the one cutter before any reader can send the chunk,
 * so every reader, also after a restart, sends the same chunks), `began` (made by the wrapper
 * shell itself before it runs the script: without it the job never ran, even if the folder
 * exists), `exit-code` (written by the wrapper shell when the job ends on its own) and
 * `result.json` (the outcome, written by the vm-runner that saw the end). Output is never held
 * in memory beyond the one chunk a reader is sending.
 */
export function detachedRunFiles(vmDir: string) {
  const dir = join(vmDir, 'run');
  const path = (name: string) => join(dir, name);
  // The cutter's position in each output file.
  const offsets = { stdout: 0, stderr: 0 };

  const parseLine = (line: string): ChunkBounds => {
    const { s, o, n } = JSON.parse(line) as { s: ChunkBounds['stream']; o: number; n: number };
    return { stream: s, offset: o, length: n };
  };

  const openIndexReader = (): ChunkIndexReader => {
    let position = 0;
    return {
      async next() {
        const handle = await open(path('chunks.jsonl'), 'r').catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        });
        if (!handle) return [];
        try {
          const block = Buffer.alloc(indexBlockBytes);
          const { bytesRead } = await handle.read(block, 0, block.length, position);
          // Only whole lines: the cutter may be appending the rest right now.
          const end = block.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
          position += end;
          return block.toString('utf8', 0, end).split('\n').filter((line) => line !== '').map(parseLine);
        } finally {
          await handle.close();
        }
      },
      position: () => position,
    };
  };

  return {
    dir,
    path,
    /** True when a detached job was ever set up in this VM (it may not have begun). */
    exists: () => existsSync(dir),
    /** True when the job's wrapper began (or left any other trace of running): it must never start again. */
    began: () => ['began', 'exit-code', 'chunks.jsonl'].some((name) => existsSync(path(name))),
    openIndexReader,
    /** Reads one chunk's bytes. @throws ENOENT once the VM's folder is gone */
    async readChunk(bounds: ChunkBounds): Promise<Buffer> {
      const handle = await open(path(bounds.stream), 'r');
      try {
        const data = Buffer.alloc(bounds.length);
        const { bytesRead } = await handle.read(data, 0, bounds.length, bounds.offset);
        return data.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    /** For a cutter taking over from an earlier vm-runner: moves the offsets past every chunk already indexed. */
    async restoreOffsets(): Promise<void> {
      const reader = openIndexReader();
      for (let bounds = await reader.next(); bounds.length; bounds = await reader.next()) {
        for (const b of bounds) offsets[b.stream] = b.offset + b.length;
      }
      // A line cut short by a kill mid-append would merge with the next one: drop it (its chunk is cut again).
      const size = await stat(path('chunks.jsonl')).then((st) => st.size, () => 0);
      if (size > reader.position()) await truncate(path('chunks.jsonl'), reader.position());
    },
    /**
     * Indexes the output written since the last call as chunks of at most 256 KiB (one append to
     * `chunks.jsonl`); reads no output. @returns how many chunks it indexed
     */
    async cutNew(): Promise<number> {
      let lines = '';
      let count = 0;
      for (const s of ['stdout', 'stderr'] as const) {
        const size = await stat(path(s)).then((st) => st.size, () => 0);
        while (offsets[s] < size) {
          const n = Math.min(maxChunkBytes, size - offsets[s]);
          lines += `${JSON.stringify({ s, o: offsets[s], n })}\n`;
          offsets[s] += n;
          count++;
        }
      }
      if (lines) await appendFile(path('chunks.jsonl'), lines);
      return count;
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
