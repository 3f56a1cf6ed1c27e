import { closeSync, constants, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The file a record buffer keeps its records in until persistence stored them: `journal` (one
 * line per record, appended in order) and `acked` (the byte offset up to which the journal's
 * records were delivered, rewritten in place by one small write). Records past `acked` are replayed by the next
 * process. Written without fsync: it survives a crash or kill of the process, not a power loss.
 */
export interface RecordJournal {
  readonly dir: string;
  /** Appends one line (no newline inside). @returns its bytes, newline included */
  append(line: string): number;
  /** Bytes of the journal. */
  size(): number;
  /** Offset up to which records were delivered. */
  ackedOffset(): number;
  /** Marks `bytes` more bytes after the acked offset as delivered. */
  ack(bytes: number): void;
  /** Complete lines from byte `from`, at most `maxLines`. @returns them (without newline, each with its bytes) and the offset after the last */
  readLines(from: number, maxLines: number): { lines: { text: string; bytes: number }[]; next: number };
  /** Counts the complete lines from byte `from` to the end. */
  countLines(from: number): number;
  /** Empties the journal once every record in it was delivered, so it does not grow while all goes well. */
  resetIfDrained(): boolean;
  close(): void;
}

const blockBytes = 256 * 1024;
/** Characters of the acked offset as written (right-aligned, spaces before): any safe integer fits. */
const ackedWidth = 16;

/** Opens (or creates) the journal in `dir`, cutting a line left half-written by a killed process. */
export function createRecordJournal(dir: string): RecordJournal {
  mkdirSync(dir, { recursive: true });
  const journalPath = join(dir, 'journal');
  const ackedPath = join(dir, 'acked');
  const fd = openSync(journalPath, 'a+');
  let size = fstatSync(fd).size;
  // A kill in the middle of an append leaves a partial last line: it was never acknowledged to anyone.
  if (size > 0) {
    const tail = Buffer.alloc(Math.min(size, blockBytes));
    let end = size;
    for (;;) {
      const start = Math.max(0, end - tail.length);
      const n = readSync(fd, tail, 0, end - start, start);
      const newline = tail.subarray(0, n).lastIndexOf(0x0a);
      if (newline >= 0) {
        end = start + newline + 1;
        break;
      }
      end = start;
      if (start === 0) break;
    }
    if (end < size) {
      ftruncateSync(fd, end);
      size = end;
    }
  }
  const readAcked = () => {
    const value = existsSync(ackedPath) ? Number(readFileSync(ackedPath, 'utf8').trim()) : 0;
    // An emptied journal whose new offset was not written yet (a kill between the two) starts over.
    return Number.isSafeInteger(value) && value >= 0 && value <= size ? value : 0;
  };
  let acked = readAcked();
  // The offset is rewritten in place, one fixed-width write at position 0: a write this small is
  // never cut by a kill of the process (the guarantee the journal gives), and it is one system
  // call on the main thread per delivery instead of a temporary file, a write and a rename
  // (those were a tenth of vm-runner's CPU per job in the bench's mesh profile).
  const ackedWriter = openSync(ackedPath, constants.O_RDWR | constants.O_CREAT);
  const writeAcked = (value: number) => {
    writeSync(ackedWriter, `${String(value).padStart(ackedWidth, ' ')}\n`, 0);
    acked = value;
  };

  const readBlock = (from: number) => {
    const block = Buffer.alloc(Math.min(blockBytes, size - from));
    const n = readSync(fd, block, 0, block.length, from);
    return block.subarray(0, n);
  };

  return {
    dir,
    append(line) {
      const data = Buffer.from(`${line}\n`);
      writeSync(fd, data);
      size += data.length;
      return data.length;
    },
    size: () => size,
    ackedOffset: () => acked,
    ack(bytes) {
      if (bytes > 0) writeAcked(Math.min(size, acked + bytes));
    },
    readLines(from, maxLines) {
      const lines: { text: string; bytes: number }[] = [];
      let position = from;
      while (lines.length < maxLines && position < size) {
        const block = readBlock(position);
        let start = 0;
        for (let newline = block.indexOf(0x0a); newline >= 0 && lines.length < maxLines; newline = block.indexOf(0x0a, start)) {
          lines.push({ text: block.toString('utf8', start, newline), bytes: newline + 1 - start });
          start = newline + 1;
        }
        // A line longer than a block: read it whole.
        if (start === 0) {
          const rest = Buffer.alloc(size - position);
          readSync(fd, rest, 0, rest.length, position);
          const newline = rest.indexOf(0x0a);
          if (newline < 0) break;
          lines.push({ text: rest.toString('utf8', 0, newline), bytes: newline + 1 });
          start = newline + 1;
        }
        position += start;
      }
      return { lines, next: position };
    },
    countLines(from) {
      let count = 0;
      for (let position = from; position < size; ) {
        const block = readBlock(position);
        if (block.length === 0) break;
        for (let i = block.indexOf(0x0a); i >= 0; i = block.indexOf(0x0a, i + 1)) count++;
        position += block.length;
      }
      return count;
    },
    resetIfDrained() {
      if (acked < size || size === 0) return false;
      ftruncateSync(fd, 0);
      size = 0;
      writeAcked(0);
      return true;
    },
    close: () => {
      closeSync(fd);
      closeSync(ackedWriter);
    },
  };
}
