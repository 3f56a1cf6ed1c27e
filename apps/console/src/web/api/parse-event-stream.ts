/** One Server-Sent Event. */
export interface StreamEvent { event: string; data: string }

/**
 * An incremental parser of the `text/event-stream` format: feed it text as it arrives (any
 * split), get the complete events. Comments (`:` lines) are skipped; `data` lines of one event
 * are joined with newlines; an event without a name is `message`.
 */
export function createEventStreamParser() {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  return (text: string): StreamEvent[] => {
    buffer += text;
    const events: StreamEvent[] = [];
    let newline = buffer.search(/\r\n|\r|\n/);
    // A `\r` at the very end may be the first half of `\r\n`: wait for the next text.
    while (newline >= 0 && !(newline === buffer.length - 1 && buffer.endsWith('\r'))) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length) events.push({ event: event || 'message', data: data.join('\n') });
        event = '';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      newline = buffer.search(/\r\n|\r|\n/);
    }
    return events;
  };
}
