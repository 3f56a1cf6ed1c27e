import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFrameDecoder, createGuestAgent, decodeFrameLine, encodeFrame, type Frame } from '../src/qemu/index.ts';

// The host side of the JM1 protocol against a scripted fake guest on a unix socket: no VM boots.

let dir = '';
const servers: Server[] = [];

/** A fake guest: `onFrame` gets each host frame and the connection to answer on. */
async function fakeGuest(name: string, onFrame: (frame: Frame, socket: Socket, connection: number) => void): Promise<string> {
  const socketPath = path.join(dir, `${name}.sock`);
  let connections = 0;
  const server = createServer((socket) => {
    const connection = ++connections;
    socket.on('data', createFrameDecoder((frame) => onFrame(frame, socket, connection)));
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

test.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jm-agent-'));
});

test.after(async () => {
  for (const server of servers) server.close();
  await rm(dir, { recursive: true, force: true });
});

test('frames: encode and decode round-trip, empty payloads, bad lines, lines split across chunks', () => {
  assert.is(encodeFrame('HELLO').toString(), 'JM1 HELLO \n');
  assert.is(encodeFrame('KILL', 'TERM').toString(), 'JM1 KILL VEVSTQ==\n');
  assert.equal(decodeFrameLine('JM1 READY'), { type: 'READY', payload: Buffer.alloc(0) });
  assert.is(decodeFrameLine('JM1 OUT aGk=\r')?.payload.toString(), 'hi');
  assert.is(decodeFrameLine('hello world'), undefined);
  assert.is(decodeFrameLine('JM1 OUT not base64!'), undefined);
  const frames: string[] = [];
  const bad: string[] = [];
  const feed = createFrameDecoder((frame) => frames.push(`${frame.type}:${frame.payload.toString()}`), (line) => bad.push(line));
  const bytes = Buffer.concat([encodeFrame('OUT', Buffer.from([0, 1, 255])), Buffer.from('[ 1.2] kernel noise\n'), encodeFrame('EXIT', '3')]);
  for (const byte of bytes) feed(Buffer.from([byte]));
  assert.equal(frames, [`OUT:${Buffer.from([0, 1, 255]).toString()}`, 'EXIT:3']);
  assert.equal(bad, ['[ 1.2] kernel noise']);
});

test('waitReady answers from the READY sent in reply to HELLO; status reports the job state', async () => {
  const socketPath = await fakeGuest('ready', (frame, socket) => {
    if (frame.type === 'HELLO') {
      socket.write(encodeFrame('READY', '{"kernel":"6.1.0-test","agent":1,"uptime":2.5}'));
      socket.write(encodeFrame('STATE', '{"job":"exited","exitCode":4}'));
    }
  });
  const agent = createGuestAgent(socketPath);
  assert.equal(await withDeadline(agent.waitReady(2_000), 3_000, 'waitReady'), { kernel: '6.1.0-test', guestUptimeMs: 2500 });
  assert.equal(await withDeadline(agent.status(2_000), 3_000, 'status'), { job: 'exited', exitCode: 4 });
  agent.close();
  await withDeadline(agent.waitReady(1_000).then(() => assert.unreachable(), () => undefined), 2_000, 'cached ready after close');
});

test('run: output that arrived before run() is kept; a dropped connection is re-joined with RUN', async () => {
  const socketPath = await fakeGuest('rejoin', (frame, socket, connection) => {
    if (frame.type === 'HELLO' && connection === 1) socket.write(encodeFrame('OUT', 'early\n'));
    if (frame.type === 'RUN' && connection === 1) {
      socket.write(encodeFrame('ERR', 'one\n'));
      setTimeout(() => socket.destroy(), 50);
    }
    if (frame.type === 'RUN' && connection === 2) socket.write(Buffer.concat([encodeFrame('OUT', 'two\n'), encodeFrame('EXIT', '0')]));
  });
  const agent = createGuestAgent(socketPath, { retryMs: 20 });
  await withDeadline(agent.status(300).catch(() => undefined), 1_000, 'connect');
  const got: string[] = [];
  const result = await withDeadline(agent.run((stream, data) => got.push(`${stream}:${data}`), {}), 3_000, 'run');
  assert.equal(result, { exitCode: 0, timedOut: false });
  assert.equal(got, ['stdout:early\n', 'stderr:one\n', 'stdout:two\n']);
  agent.close();
});

test('run: past its timeout the job gets KILL TERM, then KILL KILL, and is reported timedOut with its signal', async () => {
  const kills: string[] = [];
  const socketPath = await fakeGuest('timeout', (frame, socket) => {
    if (frame.type === 'KILL') {
      kills.push(frame.payload.toString());
      if (frame.payload.toString() === 'KILL') socket.write(encodeFrame('EXIT', '137'));
    }
  });
  const agent = createGuestAgent(socketPath, { killGraceMs: 100 });
  const result = await withDeadline(agent.run(() => {}, { timeoutMs: 100 }), 3_000, 'run');
  assert.equal(result, { exitCode: 137, signal: 'SIGKILL', timedOut: true });
  assert.equal(kills, ['TERM', 'KILL']);
  agent.close();
});

test('run: abort sends KILL TERM and reports the exit; no EXIT at all gives -1; qemu gone rejects', async () => {
  const socketPath = await fakeGuest('abort', (frame, socket) => {
    if (frame.type === 'KILL') socket.write(encodeFrame('EXIT', '143'));
  });
  const agent = createGuestAgent(socketPath);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  assert.equal(await withDeadline(agent.run(() => {}, { signal: controller.signal }), 3_000, 'aborted run'), { exitCode: 143, signal: 'SIGTERM', timedOut: false });
  agent.close();

  const silent = createGuestAgent(await fakeGuest('silent', () => {}), { killGraceMs: 50, exitWaitMs: 50 });
  assert.equal(await withDeadline(silent.run(() => {}, { timeoutMs: 50 }), 3_000, 'silent run'), { exitCode: -1, signal: 'SIGKILL', timedOut: true });
  silent.close();

  const gone = createGuestAgent(path.join(dir, 'no-such.sock'), { isAlive: () => false });
  await withDeadline(gone.run(() => {}, {}).then(() => assert.unreachable(), (error: Error) => assert.match(error.message, /not running/)), 3_000, 'gone');
});

test.run();
