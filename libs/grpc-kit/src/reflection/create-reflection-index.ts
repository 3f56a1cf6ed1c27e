import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  type DescriptorProto,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';

/** Lookups that server reflection answers from, built once from a FileDescriptorSet. */
export interface ReflectionIndex {
  /** Names of every file in the set. */
  readonly fileNames: readonly string[];
  /** Fully-qualified names of every service in the set. */
  readonly serviceNames: readonly string[];
  /** Name of the file declaring a fully-qualified symbol, or undefined when unknown. */
  fileOfSymbol(symbol: string): string | undefined;
  /** True when the symbol is a message type (extension queries are only valid for those). */
  isMessage(symbol: string): boolean;
  /**
   * Serialized FileDescriptorProtos of a file and all its imports, transitively, without
   * duplicates; undefined when the file is unknown. The requested file comes FIRST: grpcurl's
   * reflection client (jhump/protoreflect) takes the first file of a response as the answer
   * and looks the symbol up in it. Imports follow in dependency order (imports before importers).
   */
  fileWithDependencies(fileName: string): Uint8Array[] | undefined;
}

/**
 * Builds the reflection index from the bytes of a FileDescriptorSet (e.g. `buf build
 * --as-file-descriptor-set`). Each file is served as its own FileDescriptorProto, so imports,
 * map entries, json names and source info reach the client exactly as compiled.
 */
export function createReflectionIndex(descriptorSetBytes: Uint8Array): ReflectionIndex {
  const set = fromBinary(FileDescriptorSetSchema, descriptorSetBytes);
  const files = new Map<string, { proto: FileDescriptorProto; bytes: Uint8Array }>();
  const symbols = new Map<string, string>();
  const messages = new Set<string>();
  const serviceNames: string[] = [];

  const addSymbol = (name: string, fileName: string): void => {
    // A duplicate means two files claim one name: the set cannot be served unambiguously.
    const previous = symbols.get(name);
    if (previous !== undefined && previous !== fileName) {
      throw new Error(`symbol ${name} is declared in both ${previous} and ${fileName}`);
    }
    symbols.set(name, fileName);
  };
  const addMessage = (message: DescriptorProto, scope: string, fileName: string): void => {
    const name = `${scope}${message.name}`;
    addSymbol(name, fileName);
    messages.add(name);
    for (const field of message.field) addSymbol(`${name}.${field.name}`, fileName);
    for (const oneof of message.oneofDecl) addSymbol(`${name}.${oneof.name}`, fileName);
    for (const nestedEnum of message.enumType) addSymbol(`${name}.${nestedEnum.name}`, fileName);
    for (const nested of message.nestedType) addMessage(nested, `${name}.`, fileName);
  };

  for (const file of set.file) {
    if (files.has(file.name)) throw new Error(`file ${file.name} appears twice in the descriptor set`);
    files.set(file.name, { proto: file, bytes: toBinary(FileDescriptorProtoSchema, file) });
    const scope = file.package === '' ? '' : `${file.package}.`;
    for (const message of file.messageType) addMessage(message, scope, file.name);
    for (const enumType of file.enumType) addSymbol(`${scope}${enumType.name}`, file.name);
    for (const service of file.service) {
      const serviceName = `${scope}${service.name}`;
      addSymbol(serviceName, file.name);
      serviceNames.push(serviceName);
      for (const method of service.method) addSymbol(`${serviceName}.${method.name}`, file.name);
    }
  }

  // Fail at start-up rather than serve a file whose import is missing: grpcurl would reject it.
  for (const { proto } of files.values()) {
    for (const dependency of proto.dependency) {
      if (!files.has(dependency)) throw new Error(`${proto.name} imports ${dependency}, absent from the descriptor set`);
    }
  }

  const collectImports = (fileName: string, seen: Set<string>, out: Uint8Array[]): void => {
    for (const dependency of files.get(fileName)?.proto.dependency ?? []) {
      if (seen.has(dependency)) continue;
      seen.add(dependency);
      collectImports(dependency, seen, out);
      out.push(files.get(dependency)!.bytes);
    }
  };

  return {
    fileNames: [...files.keys()],
    serviceNames,
    fileOfSymbol: (symbol) => symbols.get(symbol.startsWith('.') ? symbol.slice(1) : symbol),
    isMessage: (symbol) => messages.has(symbol.startsWith('.') ? symbol.slice(1) : symbol),
    fileWithDependencies(fileName) {
      const entry = files.get(fileName);
      if (entry === undefined) return undefined;
      const imports: Uint8Array[] = [];
      collectImports(fileName, new Set([fileName]), imports);
      return [entry.bytes, ...imports];
    },
  };
}
