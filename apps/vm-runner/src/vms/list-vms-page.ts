import { invalidArgument } from '@jobmesh/grpc-kit';
import { vmStateOf, type VmRecord } from './vm-record.ts';

/** What a ListVms page selects. */
export interface VmPageRequest {
  /** States to keep (jobmesh.types.v1.VmState values); empty = all. */
  states: ReadonlySet<number>;
  jobRequestId: string;
  key: string;
  /** 0 = 100; at most 1000. */
  pageSize: number;
  pageToken: string;
}

const defaultPageSize = 100;
const maxPageSize = 1000;

/** The cursor: the last VM of the previous page in list order (created_at, id). */
const encodeToken = (vm: VmRecord) => Buffer.from(JSON.stringify([vm.createdAt, vm.id])).toString('base64url');

function decodeToken(token: string): [string, string] | undefined {
  if (!token) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) return value as [string, string];
  } catch { /* refused below */ }
  throw invalidArgument('page_token', 'is not a token this server gave');
}

/**
 * One page of `vms` (already in list order: oldest first, then by id) after the request's cursor.
 * @throws INVALID_ARGUMENT page_size out of range, page_token malformed
 */
export function listVmsPage(vms: readonly VmRecord[], request: VmPageRequest): { vms: VmRecord[]; nextPageToken: string } {
  if (!Number.isInteger(request.pageSize) || request.pageSize < 0 || request.pageSize > maxPageSize) {
    throw invalidArgument('page_size', `must be 0 (the default, ${defaultPageSize}) to ${maxPageSize}`);
  }
  const size = request.pageSize || defaultPageSize;
  const after = decodeToken(request.pageToken);
  const page: VmRecord[] = [];
  for (const vm of vms) {
    if (after && (vm.createdAt < after[0] || (vm.createdAt === after[0] && vm.id <= after[1]))) continue;
    if (request.states.size && !request.states.has(vmStateOf(vm.state))) continue;
    if (request.jobRequestId && vm.jobRequestId !== request.jobRequestId) continue;
    if (request.key && vm.key !== request.key) continue;
    // One more than the page tells whether a next page exists.
    if (page.length === size) return { vms: page, nextPageToken: encodeToken(page.at(-1)!) };
    page.push(vm);
  }
  return { vms: page, nextPageToken: '' };
}
