/**
 * The machine's ceiling for an answer of a given size: a plain node:http server that answers every
 * request with the same bytes (`node dist/bench/constant-server.js <body file>`), with no routing,
 * authentication, cache look-up or logging. `bench --load` drives it exactly as it drives `ingest
 * serve`, with a real answer of each read endpoint as the body, so the report shows how far the
 * server is from what this machine and load generator allow at all. Prints "listening on <url>".
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const bodyPath = process.argv[2];
if (!bodyPath) {
  process.stderr.write('usage: constant-server <body file>\n');
  process.exit(2);
}
const body = readFileSync(bodyPath);
const server = createServer((_request, response) => {
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
  });
  response.end(body);
});
// Same backlog as `ingest serve` (src/server/serve.ts), so both meet a thousand connects alike.
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
