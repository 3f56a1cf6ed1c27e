import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The services of the mesh, each with its own certificate and identity. */
export const meshServices = ['orchestrator', 'persistence', 'vm-runner', 'fsops'] as const;
/** A service of the mesh. */
export type MeshService = (typeof meshServices)[number];

/** Files made by makeDevCertificates, all PEM. */
export interface DevCertificates {
  dir: string;
  caCert: string;
  caKey: string;
  /**
   * A server certificate without a mesh identity (CN jobmesh-service, serverAuth + clientAuth):
   * for a lone TLS server in tests. Internal services under mutual TLS refuse it as a caller.
   */
  serverCert: string;
  serverKey: string;
  /**
   * Each service's certificate (`<service>.crt`/`.key`): CN `jobmesh-<service>`, the host names,
   * and its mesh identity `URI:spiffe://jobmesh/<service>`; serverAuth + clientAuth, since a
   * service presents it both when serving and when calling another.
   */
  services: Record<MeshService, { cert: string; key: string }>;
  /** Client certificate for the CLI and tests (EKU clientAuth; identity `spiffe://jobmesh/client`). */
  clientCert: string;
  clientKey: string;
}

/** Options of makeDevCertificates. */
export interface DevCertificateOptions {
  /** Host names and IPs the server certificate is valid for. @default ['localhost', '127.0.0.1', '127.0.0.2', '::1'] */
  hosts?: string[];
  /** Validity in days. @default 825 */
  days?: number;
  /** Common name of the CA, so two CAs made for a test differ visibly. @default 'jobmesh dev CA' */
  caName?: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 60_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('the openssl command is not installed (apt-get install -y openssl)', { cause: error });
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`, { cause: error });
  }
}

const subjectAltName = (hosts: string[]) =>
  hosts.map((h) => (/^[0-9.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');

/** Makes a key and a certificate signed by the CA, with the given extensions. */
async function issue(dir: string, name: string, cn: string, extensions: string, ca: { cert: string; key: string }, days: number): Promise<void> {
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`), '-subj', `/CN=${cn}`]);
  await openssl(['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
    '-out', join(dir, `${name}.crt`), '-days', String(days), '-sha256', '-extfile', ext]);
  await rm(join(dir, `${name}.csr`));
  await rm(ext);
}

/**
 * Makes, offline with the `openssl` CLI, a dev CA and the certificates it
 * signs: one per service (`orchestrator.crt`, `persistence.crt`, `vm-runner.crt`,
 * `fsops.crt`, each carrying its mesh identity `URI:spiffe://jobmesh/<service>`,
 * which internal services check under mutual TLS), `server` (no identity) and
 * `client` (for the CLI and tests). Keys are written mode 0600. Existing
 * files in `dir` are replaced. For development and tests only: the CA key
 * sits next to the certificates.
 * @throws Error when openssl is missing or fails
 */
export async function makeDevCertificates(dir: string, options: DevCertificateOptions = {}): Promise<DevCertificates> {
  const out = resolve(dir);
  await mkdir(out, { recursive: true });
  const days = options.days ?? 825;
  const hosts = options.hosts ?? ['localhost', '127.0.0.1', '127.0.0.2', '::1'];
  const ca = { cert: join(out, 'ca.crt'), key: join(out, 'ca.key') };
  // A scratch dir for openssl's serial file, so repeated runs leave nothing behind in `dir`.
  const scratch = await mkdtemp(join(out, '.tmp-'));
  try {
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', ca.key, '-out', ca.cert, '-days', String(days), '-sha256', '-subj', `/CN=${options.caName ?? 'jobmesh dev CA'}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    
    await issue(scratch, 'server', 'jobmesh-service', [
      'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth', `subjectAltName=${subjectAltName(hosts)}`, '',
    ].join('\n'), ca, days);
    for (const service of meshServices) {
      await issue(scratch, service, `jobmesh-${service}`, [
        'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth', `subjectAltName=${subjectAltName(hosts)},URI:spiffe://jobmesh/${service}`, '',
      ].join('\n'), ca, days);
    }
    await issue(scratch, 'client', 'jobmesh-client', [
      'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth', 'subjectAltName=URI:spiffe://jobmesh/client', '',
    ].join('\n'), ca, days);
    for (const name of ['server', 'client', ...meshServices]) {
      for (const ext of ['crt', 'key']) await rename(join(scratch, `${name}.${ext}`), join(out, `${name}.${ext}`));
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await rm(join(out, 'ca.srl'), { force: true });
  }
  for (const name of ['ca', 'server', 'client', ...meshServices]) await chmod(join(out, `${name}.key`), 0o600);
  return {
    dir: out, caCert: ca.cert, caKey: ca.key,
    serverCert: join(out, 'server.crt'), serverKey: join(out, 'server.key'),
    services: Object.fromEntries(meshServices.map((s) => [s, { cert: join(out, `${s}.crt`), key: join(out, `${s}.key`) }])) as DevCertificates['services'],
    clientCert: join(out, 'client.crt'), clientKey: join(out, 'client.key'),
  };
}
