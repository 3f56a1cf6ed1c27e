import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEventStreamParser } from './parse-event-stream.ts';

const stream = ': open\n\nevent: chunk\ndata: {"a":1}\n\nevent: end\r\ndata: line one\r\ndata: line two\r\n\r\ndata: unnamed\n\n';

test('events come out whole however the text is split', () => {
  for (let size = 1; size <= stream.length; size++) {
    const parse = createEventStreamParser();
    const events = [];
    for (let at = 0; at < stream.length; at += size) events.push(...parse(stream.slice(at, at + size)));
    assert.equal(events, [
      { event: 'chunk', data: '{"a":1}' },
      { event: 'end', data: 'line one\nline two' },
      { event: 'message', data: 'unnamed' },
    ], `split every ${size} characters`);
  }
});

test.run();
