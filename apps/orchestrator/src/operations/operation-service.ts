import type { Operation } from '@jobmesh/contracts/jobmesh/orchestrator/v1/operations.ts';
import { OperationServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/operations.ts';
import type { Workflow, WorkflowStep } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { defineService, invalidArgument } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toOperation(workflow: Workflow, steps: WorkflowStep[]): Operation {
  return {
    id: workflow.id,
    name: workflow.name,
    status: workflow.status,
    jobRequestId: workflow.jobRequestId,
    parentId: workflow.parentId,
    error: workflow.error,
    steps: steps.map((s) => ({ stepNumber: s.stepNumber, name: s.name, status: s.status, attempts: s.attempts, outputJson: s.outputJson, errorJson: s.errorJson, startedAt: s.startedAt, finishedAt: s.finishedAt })),
    createdAt: workflow.createdAt,
    finishedAt: workflow.finishedAt,
  };
}

/** jobmesh.orchestrator.v1.OperationService: the workflows behind jobs, with their step history. */
export function createOperationService(clients: MeshClients) {
  return defineService('jobmesh.orchestrator.v1.OperationService', OperationServiceService, {
    async getOperation(request) {
      // A job's operation has the job's request id, so either id works.
      if (!uuid.test(request.id)) throw invalidArgument('id', request.id ? 'must be a UUID' : 'is required');
      const { workflow, steps } = await clients.workflows.getWorkflow({ id: request.id.toLowerCase() });
      return { operation: toOperation(workflow!, steps) };
    },

    async listOperations(request) {
      const page = await clients.workflows.listWorkflows({ statuses: request.statuses, name: '', parentId: '', pageSize: request.pageSize, pageToken: request.pageToken });
      return { operations: page.workflows.map((w) => toOperation(w, [])), nextPageToken: page.nextPageToken };
    },
  });
}
