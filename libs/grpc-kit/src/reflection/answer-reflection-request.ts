import { status } from '@grpc/grpc-js';
import type {
  ServerReflectionRequest,
  ServerReflectionResponse,
} from '@jobmesh/contracts/grpc/reflection/v1/reflection.ts';
import type { ReflectionIndex } from './create-reflection-index.ts';

/**
 * Answers one ServerReflectionInfo request. v1 and v1alpha have identical messages, field for
 * field, so the v1 types stand for both. Every file answer carries the file plus all its imports
 * on every request (never "already sent on this stream"), so a client that only loads what one
 * response holds still resolves every type.
 */
export function answerReflectionRequest(
  index: ReflectionIndex,
  listedServices: readonly string[],
  request: ServerReflectionRequest,
): ServerReflectionResponse {
  const reply = (answer: Partial<ServerReflectionResponse>): ServerReflectionResponse => ({
    validHost: request.host,
    originalRequest: request,
    ...answer,
  });
  const notFound = (what: string): ServerReflectionResponse =>
    reply({ errorResponse: { errorCode: status.NOT_FOUND, errorMessage: `${what} not found` } });
  const files = (fileName: string | undefined, what: string): ServerReflectionResponse => {
    const found = fileName === undefined ? undefined : index.fileWithDependencies(fileName);
    if (found === undefined) return notFound(what);
    return reply({ fileDescriptorResponse: { fileDescriptorProto: found.map(toBuffer) } });
  };

  // ts-proto decodes the oneof as optional fields; an empty string is still "set", hence !== undefined.
  if (request.listServices !== undefined) {
    return reply({ listServicesResponse: { service: listedServices.map((name) => ({ name })) } });
  }
  if (request.fileByFilename !== undefined) {
    return files(request.fileByFilename, `file ${request.fileByFilename}`);
  }
  if (request.fileContainingSymbol !== undefined) {
    const symbol = request.fileContainingSymbol;
    return files(index.fileOfSymbol(symbol), `symbol ${symbol}`);
  }
  if (request.fileContainingExtension !== undefined) {
    // No extensions are indexed (the contracts declare none), so every lookup misses.
    const { containingType, extensionNumber } = request.fileContainingExtension;
    return notFound(`extension ${extensionNumber} of ${containingType}`);
  }
  if (request.allExtensionNumbersOfType !== undefined) {
    const typeName = request.allExtensionNumbersOfType;
    // Like grpc-go: a known message with no extensions gets an empty list, an unknown type NOT_FOUND.
    if (!index.isMessage(typeName)) return notFound(`message type ${typeName}`);
    return reply({ allExtensionNumbersResponse: { baseTypeName: typeName, extensionNumber: [] } });
  }
  return reply({
    errorResponse: { errorCode: status.INVALID_ARGUMENT, errorMessage: 'request names no reflection query' },
  });
}

// grpc-js hands the response to ts-proto's encoder, which accepts any Uint8Array; the Buffer view
// only satisfies the generated type without copying the bytes.
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
