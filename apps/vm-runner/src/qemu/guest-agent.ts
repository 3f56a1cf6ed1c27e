import { MeshError, status } from '@jobmesh/grpc-kit';
import { createConnection, type Socket } from 'node:net';
import { constants } from 'node:os';
import { createFrameDecoder, encodeFrame, type Frame, type HostFrameType } from './agent-protocol.ts';

/** What the guest said about its job (STATE frame). */
export type GuestJobState = { job: 'idle' } | { job: 'running'; pid: number } | { job: 'exited'; exitCode: number };

/** What READY said. */
export interface GuestReady {
  /** `uname -r` of the guest. */
  kernel: string;
  /** Guest uptime when it sent READY, in ms (kernel start → agent up); absent from older agents. */
  guestUptimeMs?: number;
}

/** How a job ended. */
export interface RunResult {
  /** Exit status of the job's shell; 128+n when signal n ended it; -1 when no EXIT came after KILL. */
  exitCode: number;
  /** Name of the signal (`SIGTERM`, `SIGKILL`…) when the exit status is 128+n, or the KILL sent when no EXIT came. */
  signal?: string;
  /** The job ran past `timeoutMs` and was killed. */
  timedOut: boolean;
}

/** Host side of the guest agent channel (JM1 frames, see agent-protocol.ts). */
export interface GuestAgent {
  /**
   * Resolves when the guest agent has reported READY (at boot, or in answer to the HELLO sent
   * on each connect: a READY sent before this host connected is still observed).
   *
   * @throws Error on timeout, abort (the signal's reason), close(), or qemu gone.
   */
  waitReady(timeoutMs: number, signal?: AbortSignal): Promise<GuestReady>;
  /**
   * Runs the seed's job (or re-joins it: RUN is idempotent in the guest, so after a vm-runner
   * restart this streams the rest of a running job, or returns a finished job's exit status).
   * Output is delivered as the guest produces it; when `onOutput` returns a promise (its reader is
   * behind), the agent socket stops being read until it resolves: qemu then stops taking the
   * port's data and the guest agent's writes, and so the job's, block (backpressure to the job;
   * frames already read from the socket, at most one read's worth, are still delivered).
   * On timeout or abort it sends KILL TERM, then
   * KILL KILL after `killGraceMs`, waits up to `exitWaitMs` for EXIT, and resolves.
   * Call it after waitReady.
   *
   * @throws Error when close() is called or qemu is gone before EXIT.
   */
  run(onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => unknown, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<RunResult>;
  /** Asks the guest for its job state (HELLO → STATE); the way to learn, after a restart, whether the job ran. */
  status(timeoutMs: number): Promise<GuestJobState>;
  /**
   * Lists the job's working directory in the guest under these roots (LIST → LS… LSEND).
   * @returns the listing's text lines and the working directory's real path in the guest ('' when it has none)
   * @throws Error when the guest does not answer within `timeoutMs`, or the connection is lost
   */
  listFiles(roots: readonly string[], timeoutMs: number): Promise<{ workDir: string; lines: string[] }>;
  /**
   * Fetches one file of the working directory (GET → FILE, DATA…, FEND): `onData` gets its bytes in
   * order. Fails rather than restarts when the connection drops mid-file (the caller starts over).
   * @param idleMs - longest silence of the guest while the file comes
   * @throws Error when the guest cannot read it (FERR), goes silent, or the connection is lost
   */
  fetchFile(path: string, onData: (data: Buffer) => void, idleMs: number): Promise<{ sizeBytes: number; mode: number; sha256: string }>;
  /** Sends POWEROFF (job stopped, disk synced, qemu exits); resolves once written. */
  powerOff(timeoutMs: number): Promise<void>;
  /** Last agent LOG lines and lines that were not frames, oldest first, for diagnostics. */
  diagnostics(): string[];
  /** Drops the connection (qemu accepts a new client afterwards); pending calls reject. Idempotent. */
  close(): void;
}

/** Options of {@link createGuestAgent}. */
export interface GuestAgentOptions {
  /** Whether qemu still runs; while it does, a refused connection is retried. @default always true */
  isAlive?: () => boolean;
  /** Time between KILL TERM and KILL KILL on timeout or abort, in ms. @default 2000 */
  killGraceMs?: number;
  /** How long to wait for EXIT after KILL KILL, in ms. @default 5000 */
  exitWaitMs?: number;
  /** Delay between connection attempts, in ms. @default 100 */
  retryMs?: number;
  /** Job output kept while no run() listens (e.g. flushed by the guest right after a reconnect), in bytes; the oldest is dropped beyond. @default 8 MiB */
  maxBacklogBytes?: number;
}

interface Subscriber {
  onFrame?: (frame: Frame) => void;
  /** Takes the job's OUT/ERR/EXIT frames (and the backlog of those that came while nobody did). */
  takesJobFrames?: boolean;
  onConnect?: () => void;
  onFail: (error: Error) => void;
}

const maxDiagnostics = 50;
/** Largest listing a guest may send in answer to LIST (about 200 000 entries). */
const maxListingBytes = 32 * 1024 * 1024;
/** Frames that show a transfer is progressing (a LOG does not). */
const transferFrames: ReadonlySet<string> = new Set(['FILE', 'DATA', 'FEND', 'FERR']);
const jobFrameTypes = new Set(['OUT', 'ERR', 'EXIT']);

/**
 * Creates the host side of the guest agent channel on qemu's agent unix socket. Connects
 * lazily (when a call needs it), retries while qemu runs, reconnects while a call is pending,
 * and sends HELLO on each connect. qemu serves one client at a time: close() the handle of a
 * previous vm-runner process (or let it die) before another one can talk to the guest.
 */
export function createGuestAgent(socketPath: string, options: GuestAgentOptions = {}): GuestAgent {
  const isAlive = options.isAlive ?? (() => true);
  const killGraceMs = options.killGraceMs ?? 2000;
  const exitWaitMs = options.exitWaitMs ?? 5000;
  const retryMs = options.retryMs ?? 100;
  const maxBacklogBytes = options.maxBacklogBytes ?? 8 * 1024 * 1024;
  // Job frames that arrived while no run() was listening: the guest flushes what it wrote
  // while disconnected as soon as a host connects, often before that host calls run().
  const backlog: Frame[] = [];
  let backlogBytes = 0;
  const subscribers = new Set<Subscriber>();
  const logs: string[] = [];
  let socket: Socket | undefined;
  let connecting = false;
  let closed = false;
  let ready: GuestReady | undefined;

  const note = (line: string): void => {
    logs.push(line);
    if (logs.length > maxDiagnostics) logs.shift();
  };

  const onFrame = (frame: Frame): void => {
    if (closed) return;
    if (frame.type === 'READY') {
      const info = parseJson(frame.payload) as { kernel?: unknown; uptime?: unknown } | undefined;
      ready = { kernel: typeof info?.kernel === 'string' ? info.kernel : 'unknown' };
      if (typeof info?.uptime === 'number') ready.guestUptimeMs = Math.round(info.uptime * 1000);
    } else if (frame.type === 'LOG') {
      note(`guest: ${frame.payload.toString('utf8')}`);
    }
    const current = [...subscribers];
    if (jobFrameTypes.has(frame.type) && !current.some((subscriber) => subscriber.takesJobFrames)) {
      backlog.push(frame);
      backlogBytes += frame.payload.length;
      while (backlogBytes > maxBacklogBytes && backlog.length > 0) {
        backlogBytes -= backlog.shift()!.payload.length;
        note('job output backlog full: dropped the oldest frame');
      }
    }
    for (const subscriber of current) {
      // A handler that throws (a hostile or broken guest's frame) fails its own call, never the process.
      try {
        subscriber.onFrame?.(frame);
      } catch (error) {
        subscriber.onFail(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };

  const failAll = (error: Error): void => {
    for (const subscriber of [...subscribers]) subscriber.onFail(error);
  };

  const connect = (): void => {
    if (closed || socket || connecting) return;
    connecting = true;
    const attempt = (): void => {
      if (closed) return void (connecting = false);
      if (!isAlive()) {
        connecting = false;
        return failAll(new Error(`qemu is not running (agent socket ${socketPath})`));
      }
      const candidate = createConnection(socketPath);
      candidate.on('data', createFrameDecoder(onFrame, (line) => note(`not a frame: ${line}`)));
      candidate.on('error', () => { /* 'close' follows and decides */ });
      candidate.once('connect', () => {
        connecting = false;
        if (closed) return void candidate.destroy();
        socket = candidate;
        candidate.write(encodeFrame('HELLO'));
        for (const subscriber of [...subscribers]) subscriber.onConnect?.();
      });
      candidate.once('close', () => {
        if (socket === candidate) {
          socket = undefined;
          // Frames in flight may be lost; whoever still waits re-asks on the next connect.
          if (!closed && subscribers.size > 0) setTimeout(connect, retryMs).unref();
        } else if (connecting) {
          setTimeout(attempt, retryMs).unref();
        }
      });
    };
    attempt();
  };

  const send = (type: HostFrameType, payload?: string): boolean => {
    if (!socket) return false;
    socket.write(encodeFrame(type, payload));
    return true;
  };

  /** Registers a subscriber for the life of one call and returns its remover. */
  const subscribe = (subscriber: Subscriber): (() => void) => {
    if (closed) {
      subscriber.onFail(new Error('guest agent connection closed'));
      return () => {};
    }
    subscribers.add(subscriber);
    if (subscriber.takesJobFrames) {
      for (const frame of backlog.splice(0)) subscriber.onFrame?.(frame);
      backlogBytes = 0;
    }
    if (socket) subscriber.onConnect?.();
    else connect();
    return () => void subscribers.delete(subscriber);
  };

  /** Subscribes for one call; with `idle`, the timeout restarts at every frame whose type it lists. */
  const waitFor = <T>(timeoutMs: number, what: string, signal: AbortSignal | undefined, setup: (done: (value: T) => void, fail: (error: Error) => void) => Omit<Subscriber, 'onFail'>, idle?: ReadonlySet<string>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let unsubscribe = (): void => {};
      let finished = false;
      const finish = (error: Error | undefined, value?: T): void => {
        finished = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        unsubscribe();
        if (error) reject(error);
        else resolve(value as T);
      };
      const onAbort = (): void => finish(signal?.reason instanceof Error ? signal.reason : new Error(`${what}: aborted`));
      const onTimeout = (): void => finish(new Error(`${what}: no answer within ${timeoutMs} ms`));
      let timer = setTimeout(onTimeout, timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const handlers = setup((value) => finish(undefined, value), (error) => finish(error));
      const onFrame = !idle || !handlers.onFrame ? handlers.onFrame : (frame: Frame): void => {
        if (idle.has(frame.type)) {
          clearTimeout(timer);
          timer = setTimeout(onTimeout, timeoutMs);
        }
        handlers.onFrame!(frame);
      };
      const remove = subscribe({ ...handlers, onFrame, onFail: (error) => finish(error) });
      // subscribe() may already have finished the call (connected, or closed).
      if (finished) remove();
      else unsubscribe = remove;
    });

  return {
    waitReady(timeoutMs, signal) {
      if (ready && !closed) return Promise.resolve(ready);
      return waitFor(timeoutMs, 'guest agent READY', signal, (done) => ({
        onFrame: (frame) => {
          if (frame.type === 'READY' && ready) done(ready);
        },
      }));
    },

    status(timeoutMs) {
      let connectedBefore = socket !== undefined;
      return waitFor<GuestJobState>(timeoutMs, 'guest agent STATE', undefined, (done) => ({
        // A fresh connection sends HELLO by itself.
        onConnect: () => {
          if (connectedBefore) send('HELLO');
          connectedBefore = true;
        },
        onFrame: (frame) => {
          if (frame.type !== 'STATE') return;
          const state = parseJson(frame.payload) as GuestJobState | undefined;
          if (state && typeof state === 'object' && 'job' in state) done(state);
        },
      }));
    },

    listFiles(roots, timeoutMs) {
      let pieces: Buffer[] = [];
      let bytes = 0;
      return waitFor(timeoutMs, 'guest agent LIST', undefined, (done, fail) => ({
        // Asked again on a reconnect: what came before is dropped with the old connection.
        onConnect: () => {
          pieces = [];
          send('LIST', roots.join('\n'));
        },
        onFrame: (frame) => {
          if (frame.type === 'LS') {
            bytes += frame.payload.length;
            // A listing past this is not a workspace but a guest flooding the host.
            if (bytes > maxListingBytes) return fail(new MeshError(status.FAILED_PRECONDITION, 'ARTIFACT_LIMIT_EXCEEDED', `the guest's listing passed ${maxListingBytes} bytes; narrow the artifact patterns`));
            pieces.push(frame.payload);
          }
          else if (frame.type === 'LSEND') done({ workDir: frame.payload.toString('utf8'), lines: Buffer.concat(pieces).toString('utf8').split('\n').filter((line) => line !== '') });
        },
      }));
    },

    fetchFile(path, onData, idleMs) {
      let asked = false;
      let received = 0;
      let header: { sizeBytes: number; mode: number } | undefined;
      return waitFor(idleMs, `guest agent GET ${path}`, undefined, (done, fail) => ({
        onConnect: () => {
          if (asked) return fail(new Error(`the guest agent connection was lost while ${path} was transferred`));
          asked = true;
          send('GET', path);
        },
        onFrame: (frame) => {
          if (frame.type === 'FILE') {
            const [size, mode] = frame.payload.toString('ascii').trim().split(' ');
            header = { sizeBytes: Number(size), mode: Number.parseInt(mode ?? '', 16) };
          } else if (frame.type === 'DATA' && header) {
            received += frame.payload.length;
            if (received > header.sizeBytes) return fail(new Error(`the guest sent more than the ${header.sizeBytes} bytes it announced for ${path}`));
            onData(frame.payload);
          } else if (frame.type === 'FEND' && header) {
            done({ ...header, sha256: frame.payload.toString('ascii').trim() });
          } else if (frame.type === 'FERR') {
            fail(new Error(`the guest cannot send ${path}: ${frame.payload.toString('utf8')}`));
          }
        },
      }), transferFrames);
    },

    powerOff(timeoutMs) {
      return waitFor<void>(timeoutMs, 'guest agent POWEROFF', undefined, (done) => ({
        onConnect: () => {
          if (send('POWEROFF')) done(undefined);
        },
      }));
    },

    run(onOutput, runOptions) {
      return new Promise<RunResult>((resolve, reject) => {
        let stopReason: 'timeout' | 'abort' | undefined;
        let killSignal = 'TERM';
        const timers: NodeJS.Timeout[] = [];
        let unsubscribe = (): void => {};
        let finished = false;
        let holds = 0;
        const finish = (result: RunResult | Error): void => {
          finished = true;
          // The run is over: a socket it paused serves the next call.
          if (holds > 0) {
            holds = 0;
            socket?.resume();
          }
          for (const timer of timers) clearTimeout(timer);
          runOptions.signal?.removeEventListener('abort', onAbort);
          unsubscribe();
          if (result instanceof Error) reject(result);
          else resolve(result);
        };
        const stop = (reason: 'timeout' | 'abort'): void => {
          if (stopReason) return;
          stopReason = reason;
          send('KILL', killSignal);
          timers.push(setTimeout(() => {
            killSignal = 'KILL';
            send('KILL', killSignal);
            timers.push(setTimeout(() => finish({ exitCode: -1, signal: 'SIGKILL', timedOut: stopReason === 'timeout' }), exitWaitMs));
          }, killGraceMs));
        };
        const onAbort = (): void => stop('abort');
        // The reader is behind: stop reading the socket (also a reconnected one) until it caught up.
        const holdWhile = (wait: unknown): void => {
          if (!(wait instanceof Promise) || finished) return;
          holds++;
          socket?.pause();
          void wait.then(() => {
            if (holds > 0 && --holds === 0) socket?.resume();
          });
        };
        if (runOptions.timeoutMs !== undefined) timers.push(setTimeout(() => stop('timeout'), runOptions.timeoutMs));
        if (runOptions.signal?.aborted) stop('abort');
        else runOptions.signal?.addEventListener('abort', onAbort, { once: true });
        const remove = subscribe({
          takesJobFrames: true,
          onConnect: () => {
            if (finished) return; // the backlog already held EXIT
            // RUN is idempotent in the guest: on a reconnect it re-joins the job.
            send('RUN');
            if (stopReason) send('KILL', killSignal);
          },
          onFrame: (frame) => {
            if (frame.type === 'OUT') holdWhile(onOutput('stdout', frame.payload));
            else if (frame.type === 'ERR') holdWhile(onOutput('stderr', frame.payload));
            else if (frame.type === 'EXIT') {
              const exitCode = Number.parseInt(frame.payload.toString('ascii'), 10);
              const signal = signalName(exitCode);
              finish({ exitCode: Number.isNaN(exitCode) ? -1 : exitCode, ...(signal ? { signal } : {}), timedOut: stopReason === 'timeout' });
            }
          },
          onFail: (error) => finish(error),
        });
        if (finished) remove();
        else unsubscribe = remove;
      });
    },

    diagnostics: () => [...logs],

    close() {
      if (closed) return;
      closed = true;
      socket?.destroy();
      socket = undefined;
      failAll(new Error('guest agent connection closed'));
      subscribers.clear();
    },
  };
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** `SIGTERM` for 143 and so on: the shell's 128+n convention. */
function signalName(exitCode: number): string | undefined {
  if (exitCode <= 128 || exitCode > 128 + 64) return undefined;
  return Object.entries(constants.signals).find(([, number]) => number === exitCode - 128)?.[0];
}
