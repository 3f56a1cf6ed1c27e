// OTLP/HTTP sink: POST /v1/traces (protobuf or JSON) on 4318 is answered 200 with an empty
// ExportTraceServiceResponse; GET / on 16686 returns {"exports":N,"bytes":N} as JSON.
import { createServer } from 'node:http';

const counts = { exports: 0, bytes: 0 };
createServer((request, response) => {
  let bytes = 0;
  request.on('data', (chunk) => (bytes += chunk.length));
  request.on('end', () => {
    if (request.method === 'POST' && request.url?.startsWith('/v1/')) {
      if (request.url === '/v1/traces') Object.assign(counts, { exports: counts.exports + 1, bytes: counts.bytes + bytes });
      const json = String(request.headers['content-type']).includes('json');
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : Buffer.alloc(0));
    } else {
      response.writeHead(404).end();
    }
  });
}).listen(4318);
createServer((_, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(counts));
}).listen(16686);
process.on('SIGTERM', () => process.exit(0));
