import type { PublicApi } from '../api/create-public-api.ts';
import type { Route } from '../http/create-router.ts';
import { toOperationView } from '../views/to-operation-view.ts';

/** GET /api/operations/:id: a durable workflow with its steps (the id may be its job's id). */
export function operationRoutes(api: PublicApi): Route[] {
  return [{
    method: 'GET', path: '/api/operations/:id',
    handler: async ({ params, call }) => toOperationView((await api.operations.getOperation({ id: params.id! }, call)).operation!),
  }];
}
