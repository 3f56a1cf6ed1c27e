import * as grpc from '@grpc/grpc-js';
import { fromBinary, fromJson, type DescMethod, type FileRegistry, type JsonValue, toBinary, toJson } from '@bufbuild/protobuf';

/** A message in protobuf JSON form, as grpcurl prints it. */
export type JsonMessage = JsonValue;

/** Call options for server streams; `maxMessages` cancels an endless stream (e.g. Health/Watch). */
export type StreamCallOptions = grpc.CallOptions & { maxMessages?: number };

// grpc-js writes whatever the serializer returns to the socket and needs a Buffer, so the raw
// bytes pass through untouched both ways.
const passThrough = (bytes: Buffer): Buffer => bytes;

/**
 * Calls a unary or server-streaming method with a JSON request, using only the descriptors
 * reflection supplied: JSON to bytes via `fromJson` + `toBinary`, raw-byte serializers on the
 * wire, bytes back to JSON via `toJson`. The registry resolves `Any` and the well-known types.
 *
 * @returns the response messages as JSON (exactly one for unary methods).
 * @throws grpc.ServiceError when the call ends with a non-OK status.
 */
export function invokeWithBytes(
  client: grpc.Client,
  method: DescMethod,
  registry: FileRegistry,
  jsonRequest: object,
  metadata: grpc.Metadata = new grpc.Metadata(),
  options: StreamCallOptions = {},
): Promise<JsonMessage[]> {
  const path = `/${method.parent.typeName}/${method.name}`;
  const request = Buffer.from(toBinary(method.input, fromJson(method.input, jsonRequest as JsonValue, { registry })));
  const decode = (bytes: Buffer): JsonMessage => toJson(method.output, fromBinary(method.output, bytes), { registry });
  const { maxMessages, ...callOptions } = options;

  if (method.methodKind === 'unary') {
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(path, passThrough, passThrough, request, metadata, callOptions, (error, response) => {
        if (error !== null) reject(error);
        else resolve([decode(response!)]);
      });
    });
  }
  return new Promise((resolve, reject) => {
    const messages: JsonMessage[] = [];
    let stoppedEarly = false;
    const call = client.makeServerStreamRequest(path, passThrough, passThrough, request, metadata, callOptions);
    call.on('data', (bytes: Buffer) => {
      if (stoppedEarly) return;
      messages.push(decode(bytes));
      if (messages.length === maxMessages) {
        stoppedEarly = true;
        resolve(messages);
        call.cancel();
      }
    });
    // The CANCELLED error that our own cancel() causes is expected, not a failure.
    call.on('error', (error: grpc.ServiceError) => stoppedEarly || reject(error));
    call.on('end', () => resolve(messages));
  });
}
