import { createConnection } from 'node:net';

/** Options of {@link qmp}. */
export interface QmpOptions {
  /** Deadline for the whole exchange, in ms. @default 5000 */
  timeoutMs?: number;
}

/**
 * Runs one QMP command on a qemu monitor socket: greeting, `qmp_capabilities`, the command;
 * resolves with its `return` value. Events are skipped. For `quit`, qemu may close the
 * connection before answering: that counts as success.
 *
 * qemu serves one QMP client at a time on a socket; a second caller waits for the first.
 *
 * @throws Error on a QMP error (`<class>: <desc>`), a closed connection, or the deadline.
 */
export function qmp(socketPath: string, command: string, args?: object, options: QmpOptions = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let pending = '';
    let stage: 'greeting' | 'capabilities' | 'command' | 'done' = 'greeting';
    const finish = (error: Error | undefined, value?: unknown): void => {
      if (stage === 'done') return;
      stage = 'done';
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`qmp ${command}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const write = (message: object): void => void socket.write(JSON.stringify(message) + '\n');
    socket.on('error', (error) => finish(new Error(`qmp ${command}: ${error.message}`, { cause: error })));
    socket.on('close', () => {
      if (stage === 'command' && command === 'quit') finish(undefined, {});
      else finish(new Error(`qmp ${command}: connection closed`));
    });
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline !== -1 && stage !== 'done') {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        if (!line) continue;
        let message: { QMP?: unknown; event?: unknown; return?: unknown; error?: { class?: string; desc?: string }; id?: unknown };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          return finish(new Error(`qmp ${command}: bad JSON from qemu: ${line.slice(0, 200)}`));
        }
        if (message.event !== undefined) continue;
        if (stage === 'greeting' && message.QMP !== undefined) {
          stage = 'capabilities';
          write({ execute: 'qmp_capabilities', id: 'caps' });
        } else if (message.error) {
          finish(new Error(`qmp ${stage === 'capabilities' ? 'qmp_capabilities' : command}: ${message.error.class}: ${message.error.desc}`));
        } else if (stage === 'capabilities' && message.id === 'caps') {
          stage = 'command';
          write({ execute: command, ...(args ? { arguments: args } : {}), id: 'cmd' });
        } else if (stage === 'command' && message.id === 'cmd') {
          finish(undefined, message.return);
        }
      }
    });
  });
}
