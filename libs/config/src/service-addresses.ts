import { z } from 'zod';

/** The four services of the mesh. */
export type ServiceName = 'orchestrator' | 'persistence' | 'vmRunner' | 'fsops';

/** The one variable per service that it listens on and its clients connect to. */
export const serviceAddressVariables = {
  orchestrator: 'JOBMESH_ORCHESTRATOR_ADDR',
  persistence: 'JOBMESH_PERSISTENCE_ADDR',
  vmRunner: 'JOBMESH_VMRUNNER_ADDR',
  fsops: 'JOBMESH_FSOPS_ADDR',
} as const satisfies Record<ServiceName, string>;

/**
 * The loopback address the mesh listens on by default: 127.0.0.2, not 127.0.0.1. A qemu guest on
 * user-mode NAT reaches the host's 127.0.0.1 as 10.0.2.2 (slirp maps only that address), so a job
 * in a VM could otherwise call every service of an unauthenticated dev mesh, and through the
 * process backend run commands on the host. Linux answers on all of 127.0.0.0/8.
 */
export const meshLoopbackHost = '127.0.0.2';

/** Default addresses, loopback only. */
export const serviceAddressDefaults = {
  orchestrator: `${meshLoopbackHost}:50051`,
  persistence: `${meshLoopbackHost}:50052`,
  vmRunner: `${meshLoopbackHost}:50053`,
  fsops: `${meshLoopbackHost}:50054`,
} as const satisfies Record<ServiceName, string>;

/** `host:port` (port 0 to 65535; `[::1]:port` for IPv6), as grpc-js binds and dials it. */
export const addressSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:50052')
  .refine((value) => !/:\d+$/.test(value) || Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');
