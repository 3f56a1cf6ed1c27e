import * as grpc from '@grpc/grpc-js';
import type { DescMethod } from '@bufbuild/protobuf';
import type { BadInput } from './generate-bad-input.ts';

const passThrough = (bytes: Buffer): Buffer => bytes;
/** Most messages read from one server stream before the drill cancels it. */
const maxStreamMessages = 200;

/**
 * Sends raw request bytes to a method and resolves with the status it ended with (never
 * rejects): OK for a unary answer or a stream that ended; the client-side CANCELLED when the
 * drill cancelled a stream on purpose.
 */
export function callRaw(client: grpc.Client, method: DescMethod, input: BadInput): Promise<{ code: number; details: string }> {
  const path = `/${method.parent.typeName}/${method.name}`;
  const options: grpc.CallOptions = { deadline: Date.now() + input.deadlineMs };
  const bytes = Buffer.from(input.bytes);
  if (method.methodKind === 'unary') {
    return new Promise((resolve) => {
      client.makeUnaryRequest(path, passThrough, passThrough, bytes, new grpc.Metadata(), options, (error) =>
        resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '' }));
    });
  }
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(path, passThrough, passThrough, bytes, new grpc.Metadata(), options);
    let seen = 0;
    const timer = input.cancelAfterMs === undefined ? undefined : setTimeout(() => call.cancel(), input.cancelAfterMs);
    call.on('data', () => {
      if (++seen === maxStreamMessages) call.cancel();
    });
    call.on('status', (s: grpc.StatusObject) => {
      clearTimeout(timer);
      resolve({ code: s.code, details: s.details });
    });
    call.on('error', () => undefined); // the status event carries it
  });
}
