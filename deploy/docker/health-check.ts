// `node deploy/docker/health-check.ts HOST:PORT [NAME]`: one grpc.health.v1 Check of the server's
// overall health; exits 0 when it answers SERVING, 1 otherwise (2 on bad usage).
//
// The health check of the service images (compose), and the exec probe of the Kubernetes
// production overlay, where mutual TLS is on and kubelet's native gRPC probes (plaintext only)
// cannot connect. It runs every few seconds in every container, so it loads grpc-js, the
// generated health client and the TLS variables, nothing more (about 0.2 s of CPU; the dev
// launcher's waitUntilServing loads all of grpc-kit). TLS comes from the JOBMESH_TLS_* variables
// of the container, with `{service}` in the certificate paths read as NAME: the service's own
// certificate, which under mutual TLS may call health like any certificate of the mesh CA.
import { readFileSync } from 'node:fs';
import { credentials, Metadata, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { loadTlsConfig, type TlsConfig } from '@jobmesh/config';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@jobmesh/contracts/grpc/health/v1/health.ts';

const [address, name] = process.argv.slice(2);
const deadlineMs = Number(process.env.JOBMESH_HEALTH_TIMEOUT_MS ?? 3000);
if (!address) {
  process.stderr.write('usage: health-check.ts HOST:PORT [SERVICE_NAME]\n');
  process.exit(2);
}

function channel(tls: TlsConfig | undefined): { creds: ChannelCredentials; options: ChannelOptions } {
  if (!tls) return { creds: credentials.createInsecure(), options: {} };
  const read = (file: string | undefined) => (file ? readFileSync(file) : null);
  const [key, cert] = [read(tls.keyFile), read(tls.certFile)];
  return {
    creds: credentials.createSsl(read(tls.caFile), key && cert ? key : null, key && cert ? cert : null),
    options: tls.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {},
  };
}

const { creds, options } = channel(loadTlsConfig(process.env, name));
const client = new HealthClient(address, creds, options);
client.check({ service: '' }, new Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => {
  client.close();
  if (error) {
    process.stderr.write(`${address}: ${error.message}\n`);
    process.exit(1);
  }
  const serving = response.status === HealthCheckResponse_ServingStatus.SERVING;
  if (!serving) process.stderr.write(`${address}: ${response.status}\n`);
  process.exit(serving ? 0 : 1);
});
