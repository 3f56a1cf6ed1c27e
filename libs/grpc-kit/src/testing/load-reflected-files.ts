import { createFileRegistry, create, fromBinary, type FileRegistry } from '@bufbuild/protobuf';
import {
  type DescriptorProto,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';

/**
 * Loads the files of one reflection response the way grpcurl does, and as strictly: every import
 * must be among them (`createFileRegistry` throws "Cannot find X, imported by Y"), every type name
 * must resolve, and map fields must point at a well-formed implicit `<Field>Entry` message (Go's
 * protodesc, under grpcurl, rejects "incorrect implicit map entry name"; @bufbuild/protobuf does not).
 *
 * @param fileBytes - serialized FileDescriptorProtos, in the order the server sent them.
 * @returns the registry and the name of the first file, which grpcurl treats as the answer.
 * @throws Error describing the first defect found.
 */
export function loadReflectedFiles(fileBytes: readonly Uint8Array[]): { registry: FileRegistry; answer: string } {
  const protos = fileBytes.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  if (protos.length === 0) throw new Error('reflection answered with no files');
  for (const proto of protos) assertValidMapEntries(proto);
  // Servers may send files in any order; the registry wants imports first.
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: importsFirst(protos) }));
  return { registry, answer: protos[0]!.name };
}

function importsFirst(protos: FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(protos.map((proto) => [proto.name, proto]));
  const ordered: FileDescriptorProto[] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (proto: FileDescriptorProto): void => {
    if (done.has(proto.name)) return;
    if (visiting.has(proto.name)) throw new Error(`import cycle through ${proto.name}`);
    visiting.add(proto.name);
    for (const dependency of proto.dependency) {
      const imported = byName.get(dependency);
      // A missing import is left for createFileRegistry to reject with its own message.
      if (imported !== undefined) visit(imported);
    }
    visiting.delete(proto.name);
    done.add(proto.name);
    ordered.push(proto);
  };
  for (const proto of protos) visit(proto);
  return ordered;
}

function assertValidMapEntries(file: FileDescriptorProto): void {
  const messages = new Map<string, DescriptorProto>();
  const collect = (message: DescriptorProto, name: string): void => {
    messages.set(`.${name}`, message);
    for (const nested of message.nestedType) collect(nested, `${name}.${nested.name}`);
  };
  const scope = file.package === '' ? '' : `${file.package}.`;
  for (const message of file.messageType) collect(message, `${scope}${message.name}`);

  for (const [name, message] of messages) {
    for (const field of message.field) {
      // Map entries always live in the file of their map field, so a miss here is no map.
      const entry = messages.get(field.typeName);
      if (entry?.options?.mapEntry !== true) continue;
      const where = `${name.slice(1)}.${field.name}`;
      if (field.typeName !== `${name}.${entry.name}`) {
        throw new Error(`"${where}" is an invalid map: message and field must be in the same scope`);
      }
      if (entry.name !== mapEntryName(field.name)) {
        throw new Error(`"${where}" is an invalid map: incorrect implicit map entry name`);
      }
      const [key, value] = entry.field;
      if (entry.field.length !== 2 || key?.name !== 'key' || key.number !== 1 || value?.name !== 'value' || value.number !== 2) {
        throw new Error(`"${where}" is an invalid map: entry must hold exactly key = 1 and value = 2`);
      }
    }
  }
}

// Same rule as protoc and Go's strs.MapEntryName: `env_vars` -> `EnvVarsEntry`.
function mapEntryName(fieldName: string): string {
  return `${fieldName.replace(/(?:^|_)([a-z]?)/g, (_, letter: string) => letter.toUpperCase())}Entry`;
}
