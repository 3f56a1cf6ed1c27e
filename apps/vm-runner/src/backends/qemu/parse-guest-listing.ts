import { checkArtifactPath, type ListedEntry } from '@jobmesh/artifacts';

const fileType = 0o170000;
const regular = 0o100000;
const symlink = 0o120000;

/** `./out/a` → `out/a`; undefined for a path no artifact may have (absolute, `..`, empty parts…). */
function cleanPath(raw: string): string | undefined {
  let path = raw;
  while (path.startsWith('./')) path = path.slice(2);
  try {
    return checkArtifactPath('path', path);
  } catch {
    return undefined;
  }
}

/**
 * Reads the guest agent's LIST answer (see PROTOCOL.md): `F <raw mode hex> <size> <path>` per
 * regular file or symlink and `L <file|dir|missing> <size> <raw mode hex> <path>\t<target>` per
 * symlink. The guest is not trusted: a line that does not parse, or names a path that is not a
 * clean relative path, is dropped and reported, never used to build a host path.
 */
export function parseGuestListing(lines: readonly string[]): { entries: ListedEntry[]; dropped: string[] } {
  const byPath = new Map<string, ListedEntry>();
  const dropped: string[] = [];
  for (const line of lines) {
    const file = /^F ([0-9a-f]+) (\d+) (.+)$/.exec(line);
    const link = /^L (file|dir|missing) (\d+) ([0-9a-f]+) ([^\t]+)\t(.*)$/.exec(line);
    const path = cleanPath(file?.[3] ?? link?.[4] ?? '');
    if ((!file && !link) || path === undefined) {
      dropped.push(line.slice(0, 200));
      continue;
    }
    if (file) {
      const mode = Number.parseInt(file[1]!, 16);
      // Symlinks come again as L lines, which say where they lead.
      if ((mode & fileType) === regular) byPath.set(path, { kind: 'file', path, size: Number(file[2]), mode: mode & 0o7777 });
      else if ((mode & fileType) !== symlink) dropped.push(line.slice(0, 200));
    } else {
      byPath.set(path, { kind: 'link', path, targetKind: link![1] as 'file' | 'dir' | 'missing', size: Number(link![2]), mode: Number.parseInt(link![3]!, 16) & 0o7777, target: link![5]! });
    }
  }
  return { entries: [...byPath.values()], dropped };
}
