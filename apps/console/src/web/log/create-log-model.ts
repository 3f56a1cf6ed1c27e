import type { LogChunkView, LogStreamName } from '../../shared/api-types.ts';
import { createAnsiParser, type Segment } from './parse-ansi.ts';

/** One line of the log as the viewer shows it. */
export interface LogLine {
  /** The stream of the line's first bytes. */
  stream: LogStreamName;
  segments: Segment[];
  /** Set on a section header (`--- Build`, `+++ Test`, `::group::Lint`): the section's title. */
  section?: string;
}

/** A section header and where it is. */
export interface LogSection { line: number; title: string }

const sectionHeader = /^(?:(?:---|\+\+\+|~~~) (.+)|::group::(.*)|##\[group\](.*))$/;
const plain = (segments: Segment[]) => segments.map((s) => s.text).join('');

/** Splits chunks into lines: the last one is open (no newline yet) when `open`. */
function split(chunks: LogChunkView[]): { texts: Array<{ stream: LogStreamName; text: string }>; open: boolean } {
  const texts: Array<{ stream: LogStreamName; text: string }> = [];
  let current: { stream: LogStreamName; text: string } | undefined;
  for (const chunk of chunks) {
    const pieces = chunk.text.split('\n');
    pieces.forEach((piece, i) => {
      const last = i === pieces.length - 1;
      if (last && piece === '') return; // the chunk ended with its newline: no line is open
      if (!current) current = { stream: chunk.stream, text: '' };
      current.text += piece;
      if (!last) {
        texts.push(current);
        current = undefined;
      }
    });
  }
  if (current) texts.push(current);
  return { texts, open: current !== undefined };
}

/**
 * The loaded window of a job's log: consecutive chunks from `firstOffset` to `nextOffset`,
 * as lines with their stream, colours and section headers. Live chunks append at the end,
 * earlier pages are put in front; only what was loaded is ever held.
 */
export function createLogModel() {
  const model = {
    lines: [] as LogLine[],
    sections: [] as LogSection[],
    firstOffset: 0,
    nextOffset: 0,
    /** True when the last line has no newline yet (the next chunk continues it). */
    open: false,
    bytes: 0,
    /** Grows with every change, for views to notice one. */
    version: 0,
  };
  const parser = createAnsiParser();
  const toLine = (stream: LogStreamName, text: string, parse: ReturnType<typeof createAnsiParser>): LogLine => {
    const segments = parse.parseLine(text);
    const title = sectionHeader.exec(plain(segments));
    return title ? { stream, segments, section: (title[1] ?? title[2] ?? title[3] ?? '').trim() || 'section' } : { stream, segments };
  };
  /** Re-reads section headers from line `from` on (live appends touch only the end). */
  const indexSections = (from = 0) => {
    model.sections = model.sections.filter((s) => s.line < from);
    for (let i = from; i < model.lines.length; i++) if (model.lines[i]!.section) model.sections.push({ line: i, title: model.lines[i]!.section! });
  };
  let openText: { stream: LogStreamName; text: string } | undefined;

  return Object.assign(model, {
    /** Replaces everything with `chunks` (the tail page), the next live chunk being `nextOffset`. */
    reset(chunks: LogChunkView[], nextOffset: number) {
      parser.reset();
      const { texts, open } = split(chunks);
      model.lines = texts.map((t) => toLine(t.stream, t.text, parser));
      openText = open ? texts[texts.length - 1] : undefined;
      model.open = open;
      model.firstOffset = chunks[0]?.offset ?? nextOffset;
      model.nextOffset = nextOffset;
      model.bytes = chunks.reduce((sum, c) => sum + c.text.length, 0);
      indexSections();
      model.version++;
    },
    /**
     * Adds a live chunk at the end. @returns false when it is not the next one (a gap or a
     * repeat): the caller reloads the tail.
     */
    append(chunk: LogChunkView): boolean {
      if (chunk.offset < model.nextOffset) return true; // already shown
      if (chunk.offset !== model.nextOffset && model.lines.length) return false;
      if (!model.lines.length) model.firstOffset = chunk.offset;
      const { texts, open } = split([chunk]);
      const [first, ...rest] = texts;
      const changedFrom = Math.max(0, model.lines.length - (openText ? 1 : 0));
      if (first && openText) {
        // The open line goes on: parse it again whole (its colours restart from its own start).
        openText = { stream: openText.stream, text: openText.text + first.text };
        model.lines.pop();
        model.lines.push(toLine(openText.stream, openText.text, parser));
      } else if (first) {
        model.lines.push(toLine(first.stream, first.text, parser));
        openText = first;
      }
      for (const text of rest) model.lines.push(toLine(text.stream, text.text, parser));
      openText = open ? (rest.length ? rest[rest.length - 1] : openText) : undefined;
      model.open = open;
      model.nextOffset = chunk.offset + 1;
      model.bytes += chunk.text.length;
      indexSections(changedFrom);
      model.version++;
      return true;
    },
    /** Puts an earlier page in front. @returns the number of lines added before the old first line */
    prepend(chunks: LogChunkView[]): number {
      const earlier = chunks.filter((c) => c.offset < model.firstOffset);
      if (!earlier.length) return 0;
      const { texts, open } = split(earlier);
      const page = createAnsiParser();
      const lines = texts.map((t) => toLine(t.stream, t.text, page));
      if (open && model.lines.length) {
        // The page's last line has no newline: it is the start of our first line.
        const joined = lines.pop()!;
        const first = model.lines[0]!;
        model.lines[0] = { ...first, stream: joined.stream, segments: [...joined.segments, ...first.segments] };
      }
      model.lines = [...lines, ...model.lines];
      model.firstOffset = earlier[0]!.offset;
      model.bytes += earlier.reduce((sum, c) => sum + c.text.length, 0);
      indexSections();
      model.version++;
      return lines.length;
    },
  });
}

/** A log model, as the viewer takes it. */
export type LogModel = ReturnType<typeof createLogModel>;
