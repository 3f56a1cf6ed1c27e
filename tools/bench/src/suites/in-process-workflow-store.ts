import { Metadata } from '@grpc/grpc-js';
import { WorkflowStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import type { WorkflowStore } from '@jobmesh/durable';
import type { CallContext } from '@jobmesh/grpc-kit';
// persistence's own pool and WorkflowStoreService handlers, loaded into the bench process: the same SQL, validation and
// error mapping as the service, without the network hop and the second process.
import { createDatabasePool } from '../../../../apps/persistence/src/db/create-database-pool.ts';
import { createWorkflowStoreService } from '../../../../apps/persistence/src/workflows/workflow-store-service.ts';

type Handler = (request: unknown, context: CallContext) => Promise<unknown>;

/**
 * A WorkflowStore that calls persistence's WorkflowStoreService handlers in this process, on a
 * pool of its own with the service's defaults (10 connections). Requests and responses still
 * go through their protobuf encoding, so the runtime sees exactly what a gRPC client returns.
 */
export async function createInProcessWorkflowStore(databaseUrl: string): Promise<{ store: WorkflowStore; close(): Promise<void> }> {
  const pool = await createDatabasePool(databaseUrl);
  const { implementation } = createWorkflowStoreService(pool) as unknown as { implementation: Record<string, Handler> };
  const store: Record<string, unknown> = { close: () => undefined };
  for (const [key, method] of Object.entries(WorkflowStoreServiceService)) {
    if (method.requestStream || method.responseStream) continue;
    const serialize = method.requestSerialize as (value: unknown) => Buffer;
    const respond = method.responseSerialize as (value: unknown) => Buffer;
    store[key] = async (request: unknown) => {
      const decoded = method.requestDeserialize(serialize(request));
      const response = await implementation[key]!(decoded, { metadata: new Metadata(), signal: new AbortController().signal, method: method.path });
      return method.responseDeserialize(respond(response));
    };
  }
  return { store: store as unknown as WorkflowStore, close: () => pool.end() };
}
