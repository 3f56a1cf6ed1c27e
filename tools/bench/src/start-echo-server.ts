import { Client, credentials } from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The bare grpc-js echo server (its own process) and a bare grpc-js client of it. */
export interface EchoServer {
  /** One unary call carrying `request`. */
  call(request: Buffer): Promise<Buffer>;
  pid: number;
  stop(): Promise<void>;
}

const script = fileURLToPath(new URL('./echo-server-process.ts', import.meta.url));
const identity = (value: Buffer) => value;

/** Starts the echo server answering with `replyBytes` bytes. */
export async function startEchoServer(replyBytes: number): Promise<EchoServer> {
  const child = spawn(process.execPath, [script, '--reply-bytes', String(replyBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (data: Buffer) => {
      text += data;
      const match = /port (\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    pid: child.pid!,
    call: (request) => new Promise((resolve, reject) => {
      client.makeUnaryRequest('/bench.Echo/Echo', identity, identity, request, (error, value) => (error ? reject(error) : resolve(value!)));
    }),
    async stop() {
      client.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
