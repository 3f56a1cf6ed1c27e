import { randomBytes } from 'node:crypto';
import type { Metadata } from '@jobmesh/grpc-kit';

/** What a ticket downloads. */
export type DownloadTarget = { kind: 'log'; jobId: string } | { kind: 'artifact'; jobId: string; path: string };

interface Ticket { target: DownloadTarget; metadata: Metadata | undefined; expiresAt: number }

/**
 * Short-lived download tickets. A link the browser follows cannot carry the Authorization
 * header, and the console sets no cookie: an authorized POST gets a random ticket that stands
 * for its token for `ttlMs`, and the link names the ticket. Tickets live in memory only.
 */
export function createTicketStore(ttlMs = 60_000, maxTickets = 10_000, now = () => Date.now()) {
  const tickets = new Map<string, Ticket>();
  const prune = () => {
    for (const [id, ticket] of tickets) if (ticket.expiresAt <= now()) tickets.delete(id);
    // Oldest first (Map keeps insertion order) when still too many.
    for (const id of tickets.keys()) {
      if (tickets.size < maxTickets) break;
      tickets.delete(id);
    }
  };
  return {
    /** A new ticket for `target`, standing for `metadata` (the caller's token). */
    issue(target: DownloadTarget, metadata: Metadata | undefined): string {
      prune();
      const id = randomBytes(24).toString('base64url');
      tickets.set(id, { target, metadata, expiresAt: now() + ttlMs });
      return id;
    },
    /** The ticket's target and token while it is valid; undefined once expired or unknown. */
    redeem(id: string): Omit<Ticket, 'expiresAt'> | undefined {
      const ticket = tickets.get(id);
      if (!ticket || ticket.expiresAt <= now()) return undefined;
      return { target: ticket.target, metadata: ticket.metadata };
    },
  };
}

/** The ticket store, as routes take it. */
export type TicketStore = ReturnType<typeof createTicketStore>;
