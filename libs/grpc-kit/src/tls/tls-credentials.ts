import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';

/**
 * TLS of a server or client: PEM file paths (the shape libs/config's
 * loadTlsConfig returns). Absent = plaintext.
 */
export interface TlsOptions {
  /** Certificate chain presented (by servers; by clients when mutual TLS is in use). */
  certFile?: string;
  /** Private key of certFile. */
  keyFile?: string;
  /** CA bundle peers must chain to. @default the system roots */
  caFile?: string;
  /** Servers require a client certificate signed by caFile. @default false */
  clientAuth?: boolean;
  /** Name to check the server certificate against instead of the dialled host. */
  serverName?: string;
}

function read(file: string | undefined, what: string): Buffer | null {
  if (!file) return null;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read the TLS ${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Server credentials: insecure without `tls`, else TLS with the certificate
 * and, when `clientAuth` is set, a required client certificate.
 * @throws Error when a file cannot be read, or a certificate or key is missing
 */
export function toServerCredentials(tls: TlsOptions | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const cert = read(tls.certFile, 'certificate');
  const key = read(tls.keyFile, 'key');
  if (!cert || !key) throw new Error('a TLS server needs a certificate and a key (JOBMESH_TLS_CERT, JOBMESH_TLS_KEY)');
  const ca = read(tls.caFile, 'CA bundle');
  if (tls.clientAuth && !ca) throw new Error('mutual TLS needs a CA bundle (JOBMESH_TLS_CA) to verify clients against');
  return ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], tls.clientAuth === true);
}

/**
 * Channel credentials: insecure without `tls`, else TLS verifying the server
 * against caFile (or the system roots), presenting certFile when there is one
 * (mutual TLS needs it; a server that does not ask ignores it).
 * @throws Error when a file cannot be read
 */
export function toChannelCredentials(tls: TlsOptions | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const ca = read(tls.caFile, 'CA bundle');
  const key = read(tls.keyFile, 'key');
  const cert = read(tls.certFile, 'certificate');
  return credentials.createSsl(ca, key && cert ? key : null, key && cert ? cert : null);
}

/** Channel options that TLS adds: the name override, when set. */
export function tlsChannelOptions(tls: TlsOptions | undefined): ChannelOptions {
  return tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
}
