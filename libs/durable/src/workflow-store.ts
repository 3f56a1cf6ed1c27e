import type { WorkflowStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import type { PromiseClient } from '@jobmesh/grpc-kit';

/** The persistence client the runtime checkpoints through. */
export type WorkflowStore = PromiseClient<typeof WorkflowStoreServiceService>;
