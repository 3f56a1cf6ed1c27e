import type { DescEnum, DescFile, DescField, DescMessage, DescMethod, DescService } from '@bufbuild/protobuf';

/** Descriptors whose comments `findLeadingComment` can look up. */
export type CommentedDesc = DescMessage | DescEnum | DescService | DescMethod | DescField;

/**
 * The leading comment of a declaration, from the source info the server sent (`describe` in
 * grpcurl prints the same text). The runtime package has no `getComments` (that lives in
 * @bufbuild/protoplugin), so the source path is rebuilt from the descriptor's position.
 *
 * @returns the comment without surrounding whitespace, or undefined when the file has no source
 *   info or the declaration no comment.
 */
export function findLeadingComment(desc: CommentedDesc): string | undefined {
  const path = sourcePath(desc);
  const location = fileOf(desc).proto.sourceCodeInfo?.location.find(
    (candidate) => candidate.path.length === path.length && candidate.path.every((part, i) => part === path[i]),
  );
  const comment = location?.leadingComments.trim();
  return comment === undefined || comment === '' ? undefined : comment;
}

// Fields and methods carry no `file` of their own, only their parent does.
function fileOf(desc: CommentedDesc): DescFile {
  return desc.kind === 'rpc' || desc.kind === 'field' ? desc.parent.file : desc.file;
}

// Field numbers from descriptor.proto: FileDescriptorProto.message_type = 4, enum_type = 5,
// service = 6; DescriptorProto.field = 2, nested_type = 3, enum_type = 4;
// ServiceDescriptorProto.method = 2.
function sourcePath(desc: CommentedDesc): number[] {
  switch (desc.kind) {
    case 'message':
      return desc.parent === undefined
        ? [4, desc.file.proto.messageType.indexOf(desc.proto)]
        : [...sourcePath(desc.parent), 3, desc.parent.proto.nestedType.indexOf(desc.proto)];
    case 'enum':
      return desc.parent === undefined
        ? [5, desc.file.proto.enumType.indexOf(desc.proto)]
        : [...sourcePath(desc.parent), 4, desc.parent.proto.enumType.indexOf(desc.proto)];
    case 'service':
      return [6, desc.file.proto.service.indexOf(desc.proto)];
    case 'rpc':
      return [...sourcePath(desc.parent), 2, desc.parent.proto.method.indexOf(desc.proto)];
    case 'field':
      return [...sourcePath(desc.parent), 2, desc.parent.proto.field.indexOf(desc.proto)];
  }
}
