import type { IncomingMessage } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRequestOrigin } from './check-request-origin.ts';
import { HttpError } from './to-error-body.ts';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const refusal = (headers: Record<string, string>, hosts: string[] = []) => {
  try {
    checkRequestOrigin(request(headers), new Set(hosts));
    return undefined;
  } catch (error) {
    return error instanceof HttpError ? [error.httpStatus, error.body.reason] : error;
  }
};

test('loopback hosts, the listen host and configured hosts are served; same-origin requests pass', () => {
  for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'app.localhost']) assert.is(refusal({ host }), undefined, host);
  assert.is(refusal({ host: 'ci.example.com' }, ['ci.example.com']), undefined);
  assert.is(refusal({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }), undefined);
});

test('another host (DNS rebinding) is 421, another origin or an opaque one 403', () => {
  assert.equal(refusal({ host: 'evil.example:8080' }), [421, 'MISDIRECTED_HOST']);
  assert.equal(refusal({}), [421, 'MISDIRECTED_HOST']);
  assert.equal(refusal({ host: '127.0.0.1:8080', origin: 'http://evil.example' }), [403, 'FOREIGN_ORIGIN']);
  assert.equal(refusal({ host: '127.0.0.1:8080', origin: 'null' }), [403, 'FOREIGN_ORIGIN']);
});

test.run();
