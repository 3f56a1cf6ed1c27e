/** Keepalive of a connection: HTTP/2 pings that find a peer gone without a word (half-open TCP). */
export interface KeepaliveOptions {
  /** Time between pings on a connection, in ms; 0 = no pings. @default 10000 */
  keepaliveTimeMs?: number;
  /** How long a ping may go unanswered before the connection is closed and its calls end, in ms. @default 5000 */
  keepaliveTimeoutMs?: number;
}

/** Default time between keepalive pings, in ms. */
export const defaultKeepaliveTimeMs = 10_000;
/** Default wait for a ping's answer, in ms. */
export const defaultKeepaliveTimeoutMs = 5_000;

/**
 * grpc-js channel/server options for keepalive. Long streams (Exec, FollowLog, WatchJob) send
 * nothing for minutes while a job is quiet: without pings a peer that vanished (host down, cable
 * cut, a NAT dropping the mapping) was noticed only at the stream's deadline or the job's
 * timeout. With the defaults a dead connection ends its calls within about 15 s (client side:
 * UNAVAILABLE; server side: the call is cancelled, so its handler's signal aborts). Clients ping
 * only while they have calls in flight; grpc-js servers answer pings of any rate.
 */
export function keepaliveChannelOptions(options: KeepaliveOptions = {}): Record<string, number> {
  const timeMs = options.keepaliveTimeMs ?? defaultKeepaliveTimeMs;
  if (timeMs <= 0) return {};
  return {
    'grpc.keepalive_time_ms': timeMs,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs ?? defaultKeepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 0,
  };
}
