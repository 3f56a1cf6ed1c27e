import { HealthCheckResponse_ServingStatus, HealthService } from '@jobmesh/contracts/grpc/health/v1/health.ts';
import { loadTlsConfig } from '@jobmesh/config';
import { createClient, type TlsOptions } from '@jobmesh/grpc-kit';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `grpc.health.v1.Health/Check` until the server answers SERVING.
 * @param tls TLS towards the server. @default the JOBMESH_TLS_* variables of this process
 * @throws when `timeoutMs` passes first, or `isAlive` says the process died
 */
export async function waitUntilServing(address: string, timeoutMs: number, isAlive: () => boolean, tls: TlsOptions | undefined = loadTlsConfig(process.env, 'client')): Promise<void> {
  const client = createClient(HealthService, address, { deadlineMs: 1000, maxAttempts: 1, tls });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (!isAlive()) throw new Error(`the process behind ${address} exited before serving`);
      const response = await client.check({ service: '' }).catch(() => undefined);
      if (response?.status === HealthCheckResponse_ServingStatus.SERVING) return;
      await sleep(200);
    }
    throw new Error(`${address} did not report SERVING within ${timeoutMs} ms`);
  } finally {
    client.close();
  }
}
