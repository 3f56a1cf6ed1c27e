/** A run of text with one style. `classes`: the 16 basic colours and attributes; `color`/`background`: 256-colour and true-colour values. */
export interface Segment { text: string; classes: string; color?: string; background?: string }

interface Style { fg?: number | string; bg?: number | string; bold?: boolean; dim?: boolean; italic?: boolean; underline?: boolean; inverse?: boolean }

const cube = [0, 95, 135, 175, 215, 255];
/** The CSS colour of a 256-colour index past the basic 16. */
function color256(index: number): string {
  if (index >= 232) {
    const level = 8 + (index - 232) * 10;
    return `rgb(${level},${level},${level})`;
  }
  const n = index - 16;
  return `rgb(${cube[Math.floor(n / 36) % 6]},${cube[Math.floor(n / 6) % 6]},${cube[n % 6]})`;
}

/** Reads an extended colour (`38;5;n` or `38;2;r;g;b`) at `codes[i]`. @returns the colour and how many codes it used */
function extended(codes: number[], i: number): [number | string | undefined, number] {
  if (codes[i + 1] === 5) {
    const n = codes[i + 2] ?? 0;
    return [n < 16 ? n : color256(n), 3];
  }
  if (codes[i + 1] === 2) return [`rgb(${codes[i + 2] ?? 0},${codes[i + 3] ?? 0},${codes[i + 4] ?? 0})`, 5];
  return [undefined, 1];
}

function applySgr(style: Style, codes: number[]): Style {
  let next = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 7) next.inverse = true;
    else if (code === 22) next.bold = next.dim = false;
    else if (code === 23) next.italic = false;
    else if (code === 24) next.underline = false;
    else if (code === 27) next.inverse = false;
    else if (code >= 30 && code <= 37) next.fg = code - 30;
    else if (code >= 90 && code <= 97) next.fg = code - 90 + 8;
    else if (code === 39) next.fg = undefined;
    else if (code >= 40 && code <= 47) next.bg = code - 40;
    else if (code >= 100 && code <= 107) next.bg = code - 100 + 8;
    else if (code === 49) next.bg = undefined;
    else if (code === 38 || code === 48) {
      const [value, used] = extended(codes, i);
      if (code === 38) next.fg = value;
      else next.bg = value;
      i += used - 1;
    }
  }
  return next;
}

function toSegment(text: string, style: Style): Segment {
  const [fg, bg] = style.inverse ? [style.bg ?? 'inverse-fg', style.fg ?? 'inverse-bg'] : [style.fg, style.bg];
  const classes = [
    typeof fg === 'number' ? `fg${fg}` : fg === 'inverse-fg' ? 'fg-inverse' : '',
    typeof bg === 'number' ? `bg${bg}` : bg === 'inverse-bg' ? 'bg-inverse' : '',
    style.bold ? 'b' : '', style.dim ? 'dim' : '', style.italic ? 'i' : '', style.underline ? 'u' : '',
  ].filter(Boolean).join(' ');
  const segment: Segment = { text, classes };
  if (typeof fg === 'string' && !fg.startsWith('inverse')) segment.color = fg;
  if (typeof bg === 'string' && !bg.startsWith('inverse')) segment.background = bg;
  return segment;
}

// CSI sequences (SGR is `m`; cursor moves and erases are dropped) and OSC strings (titles, links).
const escape = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/**
 * A parser of terminal colours for a log, line by line: SGR sequences (16, 256 and true
 * colours, bold, dim, italic, underline, inverse) become styled segments; other escape
 * sequences are dropped; the style carries over to the next line, as in a terminal.
 * Text is never HTML: segments are rendered as text nodes.
 */
export function createAnsiParser() {
  let style: Style = {};
  return {
    /** Segments of one line (without its newline). */
    parseLine(line: string): Segment[] {
      // A carriage return overwrites the line so far (progress bars): keep what was written last.
      const cr = line.lastIndexOf('\r', line.length - 2);
      const text = cr >= 0 ? line.slice(cr + 1) : line.endsWith('\r') ? line.slice(0, -1) : line;
      const segments: Segment[] = [];
      let at = 0;
      for (const match of text.matchAll(escape)) {
        if (match.index > at) segments.push(toSegment(text.slice(at, match.index), style));
        if (match[2] === 'm') style = applySgr(style, (match[1] || '0').split(/[;:]/).map((n) => Number(n) || 0));
        at = match.index + match[0].length;
      }
      if (at < text.length || segments.length === 0) segments.push(toSegment(text.slice(at), style));
      return segments;
    },
    reset() {
      style = {};
    },
  };
}
