import * as grpc from '@grpc/grpc-js';
import type { DescEnum, DescExtension, DescMessage, DescMethod, DescService, FileRegistry } from '@bufbuild/protobuf';
import type { ServerReflectionResponse } from '@jobmesh/contracts/grpc/reflection/v1/reflection.ts';
import { findLeadingComment } from './find-leading-comment.ts';
import { invokeWithBytes, type JsonMessage, type StreamCallOptions } from './invoke-with-bytes.ts';
import { loadReflectedFiles } from './load-reflected-files.ts';
import { openReflectionStream, type ReflectionVersion } from './open-reflection-stream.ts';

/** What `describe` found: the descriptor, its leading comment, and the registry it lives in. */
export interface DescribedSymbol {
  descriptor: DescMessage | DescEnum | DescService | DescMethod | DescExtension;
  leadingComment: string | undefined;
  registry: FileRegistry;
}

/** A client that knows nothing but what server reflection tells it, as strict as grpcurl. */
export interface ReflectionClient {
  /** Names from list_services. */
  listServices(): Promise<string[]>;
  /** Resolves a fully-qualified symbol (`pkg.Service`, `pkg.Service.Method`, `pkg.Message`, ...). */
  describe(symbol: string): Promise<DescribedSymbol>;
  /** Calls a unary method (`pkg.Service/Method`) with a JSON request; resolves with JSON. */
  invokeUnary(fullMethodName: string, jsonRequest: object, metadata?: grpc.Metadata, options?: grpc.CallOptions): Promise<JsonMessage>;
  /** Calls a server-streaming method; resolves with every response as JSON once the stream ends. */
  invokeServerStream(fullMethodName: string, jsonRequest: object, metadata?: grpc.Metadata, options?: StreamCallOptions): Promise<JsonMessage[]>;
  /** Ends the reflection stream and the channel. */
  close(): void;
}

/**
 * Creates a reflection-only client for tests. Each `describe` loads exactly the files of one
 * file_containing_symbol answer (no fetching of missing imports, no local descriptors), so a server
 * that serves incomplete or malformed descriptors fails here as it would in grpcurl.
 *
 * @param address - `host:port`, insecure.
 * @param version - reflection protocol to use, v1 unless told.
 */
export function createReflectionClient(address: string, version: ReflectionVersion = 'v1'): ReflectionClient {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const stream = openReflectionStream(client, version);

  const describe = async (symbol: string): Promise<DescribedSymbol> => {
    const response = answerOrThrow(await stream.ask({ fileContainingSymbol: symbol }));
    const files = response.fileDescriptorResponse?.fileDescriptorProto;
    if (files === undefined) throw new Error(`file_containing_symbol ${symbol}: answer holds no file_descriptor_response`);
    const { registry, answer } = loadReflectedFiles(files);
    const descriptor = findSymbol(registry, symbol);
    // grpcurl looks the symbol up in the first file only; finding it elsewhere would hide a server bug.
    // DescMethod carries no `file` of its own; its service does.
    const file = descriptor?.kind === 'rpc' ? descriptor.parent.file : descriptor?.file;
    if (descriptor === undefined || file?.proto.name !== answer) {
      throw new Error(`file_containing_symbol ${symbol}: first file ${answer} does not declare it`);
    }
    const leadingComment = descriptor.kind === 'extension' ? undefined : findLeadingComment(descriptor);
    return { descriptor, leadingComment, registry };
  };

  const resolveMethod = async (fullMethodName: string) => {
    const match = /^\/?(.+)[/.]([^/.]+)$/.exec(fullMethodName);
    if (match === null) throw new Error(`not a method name: ${fullMethodName}`);
    const { descriptor, registry } = await describe(match[1]!);
    if (descriptor.kind !== 'service') throw new Error(`${match[1]} is a ${descriptor.kind}, not a service`);
    const method = descriptor.methods.find((candidate) => candidate.name === match[2]);
    if (method === undefined) throw new Error(`service ${descriptor.typeName} has no method ${match[2]}`);
    return { method, registry };
  };

  return {
    async listServices() {
      const response = answerOrThrow(await stream.ask({ listServices: '*' }));
      if (response.listServicesResponse === undefined) throw new Error('list_services: answer holds no list_services_response');
      return response.listServicesResponse.service.map((service) => service.name);
    },
    describe,
    async invokeUnary(fullMethodName, jsonRequest, metadata, options) {
      const { method, registry } = await resolveMethod(fullMethodName);
      if (method.methodKind !== 'unary') throw new Error(`${fullMethodName} is ${method.methodKind}, not unary`);
      const [response] = await invokeWithBytes(client, method, registry, jsonRequest, metadata, options);
      return response!;
    },
    async invokeServerStream(fullMethodName, jsonRequest, metadata, options) {
      const { method, registry } = await resolveMethod(fullMethodName);
      if (method.methodKind !== 'server_streaming') throw new Error(`${fullMethodName} is ${method.methodKind}, not server streaming`);
      return invokeWithBytes(client, method, registry, jsonRequest, metadata, options);
    },
    close() {
      stream.close();
      client.close();
    },
  };
}

function findSymbol(registry: FileRegistry, symbol: string): DescribedSymbol['descriptor'] | undefined {
  const direct = registry.get(symbol);
  if (direct !== undefined) return direct;
  const dot = symbol.lastIndexOf('.');
  return registry.getService(symbol.slice(0, dot))?.methods.find((method) => method.name === symbol.slice(dot + 1));
}

// An error_response becomes the same ServiceError shape a failed call has, so callers check `.code`.
function answerOrThrow(response: ServerReflectionResponse): ServerReflectionResponse {
  const failure = response.errorResponse;
  if (failure === undefined) return response;
  const error = new Error(`${failure.errorCode} ${grpc.status[failure.errorCode]}: ${failure.errorMessage}`);
  throw Object.assign(error, { code: failure.errorCode, details: failure.errorMessage, metadata: new grpc.Metadata() });
}
