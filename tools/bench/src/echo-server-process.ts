// A bare grpc-js server with one unary method that answers every request with a fixed reply of
// `--reply-bytes` bytes: the transport's own cost, in a process of its own, as the baseline of
// persistence's calls. Prints `port <n>` on stdout once it listens.
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'reply-bytes': { type: 'string', default: '400' } } });
const reply = Buffer.alloc(Number(values['reply-bytes']), 7);
const identity = (value: Buffer) => value;
const server = new Server();
server.addService({
  echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
}, { echo: (_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, reply) });
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`port ${port}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
