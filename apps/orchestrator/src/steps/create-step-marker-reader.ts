import { markerDelimiter, markerPrefix } from './render-steps-script.ts';

/** A step boundary found in the output, at a byte offset of the data it was cut out of. */
export interface StepMarker {
  index: number;
  kind: 'start' | 'end';
  /** The step's exit code, for `end`. */
  exitCode?: number;
  /** Offset in the returned data where the boundary lies. */
  offset: number;
}

/** Cuts a job's step markers out of its output streams, chunk by chunk, each stream apart. */
export interface StepMarkerReader<S = number> {
  /**
   * Reads one chunk of `stream`: returns the data without the markers, and the markers with
   * their offsets in it. A tail that could be the start of a marker is held back and put in
   * front of the stream's next chunk.
   */
  read(stream: S, data: Uint8Array): { data: Buffer; markers: StepMarker[] };
  /** What each stream still holds back at the end of the output (it was not a marker after all). */
  drain(): Array<{ stream: S; data: Buffer }>;
}

/** Longest marker line: the prefix, an index, `end`, an exit code and the closing bytes. */
const maxMarkerTail = 64;

/** A reader for the markers of `nonce` (the job's, from renderStepsScript). */
export function createStepMarkerReader<S = number>(nonce: string): StepMarkerReader<S> {
  const prefix = Buffer.from(markerPrefix(nonce));
  const close = Buffer.from(`${markerDelimiter}\n`);
  const body = /^(\d{1,3}) (start|end (\d{1,3}))$/;
  const carried = new Map<S, Buffer>();
  return {
    read(stream, chunk) {
      const text = Buffer.concat([carried.get(stream) ?? Buffer.alloc(0), chunk]);
      let carry = Buffer.alloc(0);
      const keep = () => carried.set(stream, carry);
      const parts: Buffer[] = [];
      const markers: StepMarker[] = [];
      let kept = 0;
      let from = 0;
      for (;;) {
        const at = text.indexOf(prefix, from);
        if (at < 0) break;
        const end = text.indexOf(close, at + prefix.length);
        if (end < 0 || end - at - prefix.length > maxMarkerTail) {
          if (end < 0 && text.length - at - prefix.length <= maxMarkerTail) {
            // The marker goes on in the next chunk.
            parts.push(text.subarray(from, at));
            kept += at - from;
            carry = Buffer.from(text.subarray(at));
            keep();
            return { data: Buffer.concat(parts), markers };
          }
          // Not a marker we wrote: ordinary output.
          parts.push(text.subarray(from, at + 1));
          kept += at + 1 - from;
          from = at + 1;
          continue;
        }
        const match = body.exec(text.subarray(at + prefix.length, end).toString('latin1'));
        parts.push(text.subarray(from, at));
        kept += at - from;
        if (match) {
          markers.push(match[2] === 'start'
            ? { index: Number(match[1]), kind: 'start', offset: kept }
            : { index: Number(match[1]), kind: 'end', exitCode: Number(match[3]), offset: kept });
        } else {
          // The nonce with another body: not ours; keep it in the log as it was.
          parts.push(text.subarray(at, end + close.length));
          kept += end + close.length - at;
        }
        from = end + close.length;
      }
      // Hold back a tail that may be the start of the next marker.
      let held = 0;
      for (let n = Math.min(prefix.length - 1, text.length - from); n > 0; n--) {
        if (text.subarray(text.length - n).equals(prefix.subarray(0, n))) {
          held = n;
          break;
        }
      }
      parts.push(text.subarray(from, text.length - held));
      carry = Buffer.from(text.subarray(text.length - held));
      keep();
      return { data: Buffer.concat(parts), markers };
    },
    drain() {
      const rest = [...carried].filter(([, data]) => data.length > 0).map(([stream, data]) => ({ stream, data }));
      carried.clear();
      return rest;
    },
  };
}
