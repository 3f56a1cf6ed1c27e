import { realpath } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { commandOutput, runCommand } from './run-command.ts';

/**
 * The local stand-in for node:24-bookworm-slim, made offline (no image registry here) and the
 * way that image is laid out: Debian bookworm minbase from `mmdebstrap`, the project's own Node
 * binary (node_modules' `node` package, the pinned version) as /usr/local/bin/node, and this
 * machine's npm as /usr/local/lib/node_modules/npm with its /usr/local/bin links. The machine's
 * local CAs (/usr/local/share/ca-certificates, e.g. of an egress proxy that re-signs TLS) are
 * trusted inside, as they are on the machine, so `npm ci` in a build reaches the registry.
 *
 * Tagged `jobmesh-test-base:node<version>-npm<version>`; reused while that tag exists in the
 * engine's (kept) data root, so only a cold cache pays for mmdebstrap (about a minute).
 * @returns the image tag
 * @throws Error when mmdebstrap or the import fails
 */
export async function ensureBaseImage(env: Record<string, string>, log: (line: string) => void): Promise<string> {
  const npmCli = await realpath(await commandOutput('sh', ['-c', 'command -v npm']));
  const npmDir = dirname(dirname(npmCli));
  const npmVersion = await commandOutput('npm', ['--version']);
  const tag = `jobmesh-test-base:node${process.versions.node}-npm${npmVersion}`;
  if (await commandOutput('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { env }).catch(() => '')) return tag;

  log(`building ${tag} (mmdebstrap bookworm minbase + the project's Node + npm)`);
  const dir = await mkdtemp(join(tmpdir(), 'jobmesh-base-'));
  try {
    const tar = join(dir, 'rootfs.tar');
    const node = await realpath(process.execPath);
    const hook = [
      'set -e',
      'mkdir -p "$1/usr/local/bin" "$1/usr/local/lib/node_modules" "$1/usr/local/share/ca-certificates" "$1/etc/ssl/certs"',
      `cp ${node} "$1/usr/local/bin/node"`,
      `cp -a ${npmDir} "$1/usr/local/lib/node_modules/npm"`,
      'ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"',
      'ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
      'cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/" 2>/dev/null || true',
      'if [ -f /etc/ssl/certs/ca-certificates.crt ]; then cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/"; fi',
    ].join('\n');
    await runCommand('mmdebstrap', ['--variant=minbase', '--quiet', `--customize-hook=${hook}`, 'bookworm', tar], { timeoutMs: 15 * 60_000 });
    await runCommand('docker', [
      'import', '--change', 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt', '--change', 'CMD ["node"]', tar, tag,
    ], { env, timeoutMs: 10 * 60_000 });
    return tag;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
