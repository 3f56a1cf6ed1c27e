import { posix } from 'node:path';

/** Schemes a repository URL may use (scp-style `user@host:path` counts as ssh). */
export const repoUrlSchemes = ['https', 'http', 'ssh', 'git', 'file'] as const;
/** A repository URL scheme. */
export type RepoUrlScheme = (typeof repoUrlSchemes)[number];

/**
 * One entry of JOBMESH_REPO_URL_ALLOW: a scheme and a host pattern (`*`, `*.example.com` for
 * its subdomains, or one host; ports are not compared), or for `file` a folder (`/` = any).
 */
export interface RepoUrlRule {
  scheme: RepoUrlScheme;
  /** Lower-case host pattern; '' for file rules. */
  host: string;
  /** file rules: repositories must lie in this folder. */
  folder?: string;
}

/** The scheme, host and (file) path of a repository URL; undefined when it is none of the forms. */
export function repoUrlParts(url: string): { scheme: RepoUrlScheme; host: string; path: string } | undefined {
  const scheme = /^([a-z]+):\/\//.exec(url)?.[1];
  if (scheme) {
    if (!(repoUrlSchemes as readonly string[]).includes(scheme)) return undefined;
    try {
      const parsed = new URL(url);
      return { scheme: scheme as RepoUrlScheme, host: parsed.hostname.toLowerCase(), path: decodeURIComponent(parsed.pathname) };
    } catch {
      return undefined;
    }
  }
  // scp-style: [user@]host:path, the host without `/` (git reads `a/b:c` as a local path).
  const scp = /^(?:[^@/:\s]+@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):(?!\/\/|:)\S/.exec(url);
  return scp ? { scheme: 'ssh', host: scp[1]!.toLowerCase(), path: '' } : undefined;
}

const hostPattern = /^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;

/**
 * Parses JOBMESH_REPO_URL_ALLOW: entries separated by commas or spaces, each
 * `<scheme>://<host>` (`https://github.com`, `ssh://*.corp.example`, `git://*`) or
 * `file://` (any local path) / `file:///srv/git` (paths in that folder).
 * @returns the rules and one problem per bad entry (empty when all are good)
 */
export function parseRepoUrlAllowlist(text: string): { rules: RepoUrlRule[]; problems: string[] } {
  const rules: RepoUrlRule[] = [];
  const problems: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    const match = /^([a-z]+):\/\/(.*)$/.exec(entry);
    const scheme = match?.[1] as RepoUrlScheme | undefined;
    if (!match || !scheme || !repoUrlSchemes.includes(scheme)) {
      problems.push(`"${entry}": must be <scheme>://<host> with scheme ${repoUrlSchemes.join(', ')} (e.g. https://github.com, ssh://*.example.com, file:///srv/git)`);
      continue;
    }
    const rest = match[2]!;
    if (scheme === 'file') {
      const folder = rest === '' ? '/' : rest;
      if (!folder.startsWith('/') || folder.split('/').includes('..')) problems.push(`"${entry}": a file entry is file:// (any path) or file:///<absolute folder>`);
      else rules.push({ scheme, host: '', folder: posix.normalize(folder) });
      continue;
    }
    const host = rest.toLowerCase();
    if (!hostPattern.test(host)) problems.push(`"${entry}": the host must be *, *.<domain> or one host name, without user, port or path`);
    else rules.push({ scheme, host });
  }
  return { rules, problems };
}

const hostMatches = (pattern: string, host: string) =>
  pattern === '*' || pattern === host || (pattern.startsWith('*.') && host.endsWith(pattern.slice(1)));

/** True when a rule of `rules` allows `url`. */
export function isRepoUrlAllowed(rules: readonly RepoUrlRule[], url: string): boolean {
  const parts = repoUrlParts(url);
  if (!parts) return false;
  return rules.some((rule) => {
    if (rule.scheme !== parts.scheme) return false;
    if (rule.scheme !== 'file') return hostMatches(rule.host, parts.host);
    if ((parts.host !== '' && parts.host !== 'localhost') || parts.path.split('/').includes('..')) return false;
    const path = posix.normalize(parts.path);
    return rule.folder === '/' || path === rule.folder || path.startsWith(`${rule.folder}/`);
  });
}

/**
 * True when `url` is an ssh URL whose host a rule names itself (an exact host or a
 * `*.domain` pattern; never the catch-all `ssh://*`): the hosts fsops may hand its
 * SSH agent to.
 */
export function isSshAgentHost(rules: readonly RepoUrlRule[], url: string): boolean {
  const parts = repoUrlParts(url);
  if (!parts || parts.scheme !== 'ssh') return false;
  return rules.some((rule) => rule.scheme === 'ssh' && rule.host !== '*' && hostMatches(rule.host, parts.host));
}

/**
 * The allowlist when JOBMESH_REPO_URL_ALLOW is unset: every network scheme to any host, and
 * local `file://` repositories only for an API on loopback (`npm start`, the tests), since a
 * file URL reads whatever the service's user can read on its host.
 */
export function defaultRepoUrlAllowlist(loopbackOnly: boolean): string {
  return loopbackOnly ? 'https://*,http://*,ssh://*,git://*,file://' : 'https://*,http://*,ssh://*,git://*';
}
