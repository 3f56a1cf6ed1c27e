import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * The version apt would install for each package, from `apt-cache policy` on this host (its
 * lists come from the same bookworm mirror mmdebstrap uses). `(none)` when apt does not know
 * the package: the host never ran `apt-get update`, or is not Debian.
 *
 * @throws Error when apt-cache cannot run (not a Debian host).
 */
export async function aptCandidateVersions(packages: readonly string[]): Promise<Record<string, string>> {
  const { stdout } = await promisify(execFile)('apt-cache', ['policy', '--', ...packages], { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024 }).catch((error: Error) => {
    throw new Error(`apt-cache policy failed (the Debian image is built and keyed with apt, on a Debian host): ${error.message}`, { cause: error });
  });
  const found = parsePolicy(stdout);
  return Object.fromEntries(packages.map((name) => [name, found.get(name) ?? '(none)']));
}

/** `apt-cache policy` output → candidate version per package. */
export function parsePolicy(text: string): Map<string, string> {
  const found = new Map<string, string>();
  let current = '';
  for (const line of text.split('\n')) {
    const header = /^(\S+):$/.exec(line);
    if (header?.[1]) current = header[1];
    const candidate = /^\s+Candidate:\s+(\S+)/.exec(line);
    if (candidate?.[1] && current) found.set(current, candidate[1]);
  }
  return found;
}
