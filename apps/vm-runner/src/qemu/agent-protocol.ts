/**
 * The JM1 guest agent protocol, spoken over the virtio-serial port `jobmesh.agent` (a unix
 * socket on the host, qemu being the server).
 *
 * Frame: one line, ASCII: `JM1 <TYPE> <payload>\n` where TYPE is `[A-Z]+` and payload is the
 * standard base64 (RFC 4648, with padding, no line breaks) of the payload bytes; an empty
 * payload is an empty string (the line is then `JM1 <TYPE> \n`; a missing trailing space is
 * accepted too). Lines that do not parse are ignored by both sides (the guest answers LOG).
 *
 * guest → host:
 * - `READY` JSON `{"kernel":"<uname -r>","agent":1,"uptime":<guest seconds since boot>}`: sent once at boot and again after each HELLO.
 * - `STATE` JSON `{"job":"idle"}` | `{"job":"running","pid":N}` | `{"job":"exited","exitCode":N}`: after each HELLO.
 * - `OUT` / `ERR`: raw stdout / stderr bytes of the job, at most 1536 per frame, as they are produced.
 * - `EXIT` decimal exit status of the job's shell (128+n when a signal n ended it); after the last OUT/ERR.
 * - `LOG` UTF-8 agent diagnostics (unknown frame, KILL without a job, …).
 * - `LS` a piece of a listing (the pieces joined are text lines, see PROTOCOL.md); `LSEND` the
 *   working directory's real path, after the last `LS` (empty: no working directory).
 * - `FILE` `<size> <raw mode hex>` of a file asked for with GET, then `DATA` frames (its bytes,
 *   at most 2304 per frame), then `FEND` its SHA-256 (hex); or `FERR` the reason it cannot be read.
 *
 * host → guest:
 * - `HELLO` (empty): asks for READY + STATE; sent on every (re)connect, since frames written
 *   to a connection that died with the previous host process are gone.
 * - `RUN` (empty): runs the seed's job once. Idempotent: while running, it only logs (output
 *   keeps streaming to whoever is connected); after the job ended it re-sends EXIT.
 * - `KILL` signal name (`TERM`, `KILL`, `INT`…, optional `SIG` prefix): sent to the job's process group.
 * - `POWEROFF` (empty): stop the job, sync, unmount, power off (qemu exits with -no-reboot).
 * - `LIST` listing roots, one per line, relative to the job's working directory: answered by LS… LSEND.
 * - `GET` a path relative to the working directory: answered by FILE, DATA…, FEND (or FERR).
 *
 * While no host is connected the guest's writes block, so frames wait in the guest (and a
 * chatty job blocks on its output) rather than being lost; the guest flushes them as soon as
 * a host connects, and the host keeps job frames that arrive before its next run() (see
 * createGuestAgent). Not covered: frames already handed to a host process that then dies
 * (unread in its socket buffer) are gone; the job's outcome is not (STATE, RUN → EXIT).
 */

/** Protocol tag opening every frame. */
export const frameTag = 'JM1';

/** Frame types the guest sends. */
export type GuestFrameType = 'READY' | 'STATE' | 'OUT' | 'ERR' | 'EXIT' | 'LOG' | 'LS' | 'LSEND' | 'FILE' | 'DATA' | 'FEND' | 'FERR';

/** Frame types the host sends. */
export type HostFrameType = 'HELLO' | 'RUN' | 'KILL' | 'POWEROFF' | 'LIST' | 'GET';

/** One decoded frame. */
export interface Frame {
  type: string;
  payload: Buffer;
}

/** Longest line accepted; a longer one is dropped (a broken or hostile guest). */
export const maxFrameLineBytes = 64 * 1024;

/** Encodes one frame, newline included. */
export function encodeFrame(type: HostFrameType | GuestFrameType, payload: Buffer | string = ''): Buffer {
  return Buffer.from(`${frameTag} ${type} ${Buffer.from(payload).toString('base64')}\n`, 'ascii');
}

/** Decodes one line (without its newline), or undefined when it is not a JM1 frame. */
export function decodeFrameLine(line: string): Frame | undefined {
  const match = /^JM1 ([A-Z]+)(?: ([A-Za-z0-9+/]*={0,2}))?\r?$/.exec(line);
  if (!match?.[1]) return undefined;
  return { type: match[1], payload: Buffer.from(match[2] ?? '', 'base64') };
}

/**
 * Splits a byte stream into frames. Returns the function to feed chunks to.
 *
 * @param onFrame - called for each decoded frame, in order.
 * @param onBadLine - called with lines that are not frames (or too long), for diagnostics.
 */
export function createFrameDecoder(onFrame: (frame: Frame) => void, onBadLine: (line: string) => void = () => {}): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('latin1');
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      const frame = decodeFrameLine(line);
      if (frame) onFrame(frame);
      else if (line.length > 0) onBadLine(line.slice(0, 200));
      newline = pending.indexOf('\n');
    }
    if (pending.length > maxFrameLineBytes) {
      onBadLine(`${pending.slice(0, 200)}… (line over ${maxFrameLineBytes} bytes dropped)`);
      pending = '';
    }
  };
}
