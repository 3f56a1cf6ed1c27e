import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { SessionView } from '../../shared/api-types.ts';
import type { ConsoleApi } from '../api/create-console-api.ts';

/** What every page gets: the API client and what the caller's token may do. */
export interface Session {
  api: ConsoleApi;
  session: SessionView;
  /** True when the orchestrator proved the role allows `needed`. */
  can(needed: 'read' | 'submit' | 'admin'): boolean;
}

export const SessionContext = createContext<Session | null>(null);

/** The session of the page. */
export function useSession(): Session {
  return useContext(SessionContext)!;
}

const rank = { read: 1, submit: 2, admin: 3 } as const;

/** Whether `session`'s proven role includes `needed` (an open API allows everything). */
export function roleAllows(session: SessionView, needed: keyof typeof rank): boolean {
  return session.role !== null && rank[session.role] >= rank[needed];
}
