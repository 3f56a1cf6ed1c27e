/** True when `path` is `parent` or lies below it; both absolute and normalized. */
export function isInside(parent: string, path: string): boolean {
  if (path === parent) return true;
  return path.startsWith(parent.endsWith('/') ? parent : `${parent}/`);
}
