import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLoopbackAddress } from '../src/index.ts';

test('loopback in every spelling grpc-js takes: 127/8, localhost, ::1, v4-mapped, unix sockets', () => {
  for (const address of ['127.0.0.1:50051', '127.1.2.3:0', 'localhost:1', '[::1]:5', '::1', '[0:0:0:0:0:0:0:1]:5', '[::ffff:127.0.0.1]:3', 'unix:/tmp/s.sock', 'dns:///localhost:5']) {
    assert.ok(isLoopbackAddress(address), address);
  }
});

test('every interface, other addresses and host names count as reachable from outside', () => {
  for (const address of ['0.0.0.0:50051', '[::]:1', 'orchestrator:50051', '192.0.2.2:1', '10.0.0.1', '[::ffff:10.0.0.1]:3', 'localhost.example.com:1', '128.0.0.1:1']) {
    assert.not.ok(isLoopbackAddress(address), address);
  }
});

test.run();
