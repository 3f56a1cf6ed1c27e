import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFrameDecoder, createGuestAgent, encodeFrame } from '../src/qemu/index.ts';

// The live path of a qemu job's output: when the Exec reader is behind, the host stops reading
// the agent socket, so the guest's writes block (as the real agent's do on the virtio port)
// instead of the output piling up in vm-runner. A fake guest on a unix socket; no VM boots.

const MiB = 1024 ** 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let dir = '';
const servers: Server[] = [];
test.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jm-agent-bp-'));
});
test.after(async () => {
  for (const server of servers) server.close();
  await rm(dir, { recursive: true, force: true });
});

/** A guest whose job writes `totalBytes` as OUT frames of 1536 bytes (as the agent cuts them), honouring socket backpressure. */
async function floodingGuest(totalBytes: number) {
  const socketPath = path.join(dir, 'flood.sock');
  const state = { written: 0 };
  const server = createServer((socket: Socket) => {
    socket.on('error', () => {});
    socket.on('data', createFrameDecoder((frame) => {
      if (frame.type !== 'RUN') return;
      const payload = Buffer.alloc(1536, 120);
      const pump = () => {
        while (state.written < totalBytes) {
          state.written += payload.length;
          if (!socket.write(encodeFrame('OUT', payload))) return void socket.once('drain', pump);
        }
        socket.write(encodeFrame('EXIT', '0'));
      };
      pump();
    }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { socketPath, state };
}

test('a reader that is behind stops the guest: it writes only what the socket buffers hold; all of it arrives once the reader catches up', async () => {
  const total = 64 * MiB;
  const guest = await floodingGuest(total);
  const agent = createGuestAgent(guest.socketPath);
  let received = 0;
  let gate: PromiseWithResolvers<void> | undefined;
  const run = agent.run((_stream, data) => {
    received += data.length;
    // After the first MiB the reader stalls until the test lets it go on.
    if (received > MiB && !gate) gate = Promise.withResolvers<void>();
    return received > MiB ? gate!.promise : undefined;
  }, {});
  run.catch(() => undefined); // awaited below; a failed assertion closes the agent, which rejects it
  try {
    await withDeadline((async () => { while (!gate) await sleep(10); })(), 10_000, 'the reader stalls');
    await sleep(1000);
    const writtenWhileStalled = guest.state.written;
    const receivedWhileStalled = received;
    console.log(`while the reader stalled: the guest wrote ${(writtenWhileStalled / MiB).toFixed(1)} MiB, the host took ${(receivedWhileStalled / MiB).toFixed(1)} MiB`);
    assert.ok(writtenWhileStalled < 8 * MiB, `the guest was held back (wrote ${writtenWhileStalled} bytes)`);
    gate!.resolve();
    gate = Promise.withResolvers<void>();
    gate.resolve(); // from now on the reader keeps up
    const result = await withDeadline(run, 60_000, 'run');
    assert.equal(result, { exitCode: 0, timedOut: false });
    assert.is(received, guest.state.written);
    assert.ok(received >= total);
  } finally {
    agent.close();
  }
});

test.run();
