import type { PeerCertificate } from 'node:tls';

/**
 * Prefix of a mesh identity in a certificate's subjectAltName: `URI:spiffe://jobmesh/<name>`,
 * e.g. `spiffe://jobmesh/orchestrator`. Services are named `orchestrator`, `persistence`,
 * `vm-runner`, `fsops`; tools/certs gives the CLI's certificate `client`.
 */
export const meshIdentityPrefix = 'spiffe://jobmesh/';

const identityUri = /^URI:spiffe:\/\/jobmesh\/([a-z][a-z0-9-]{0,62})$/;

/**
 * The mesh identity a (verified) peer certificate carries: the name of its one
 * `URI:spiffe://jobmesh/<name>` subjectAltName. A certificate naming none, or several
 * different ones, has none. The subject CN is not read: host names live there in
 * ordinary certificates, so it could not tell a service from any other holder of a
 * certificate of the CA.
 */
export function meshIdentityOf(certificate: Pick<PeerCertificate, 'subjectaltname'> | undefined): string | undefined {
  // Node writes the SANs as "DNS:a, IP Address:1.2.3.4, URI:x", quoting a value that holds a comma or quote.
  const names = new Set((certificate?.subjectaltname ?? '').split(', ').map((entry) => identityUri.exec(entry)?.[1]).filter((name) => name !== undefined));
  return names.size === 1 ? [...names][0] : undefined;
}
