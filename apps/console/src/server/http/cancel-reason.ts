/** The `reason` of a cancel request's body (trimmed, at most 1000 characters), or what the console says by default. */
export function cancelReasonOf(body: unknown): string {
  const reason = (body as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason.trim() ? reason.trim().slice(0, 1000) : 'cancelled from the web console';
}
