// A TLS front with basic auth in front of the local schema registry (scripts/stack.sh up --secure):
// the stand-in for a managed registry. Configured through the environment (FRONT_PORT,
// FRONT_UPSTREAM, FRONT_CERT, FRONT_KEY, FRONT_USER, FRONT_PASSWORD) so the password is not in argv.
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`registry-front: ${name} is required`);
  return v;
};
const upstream = new URL(env('FRONT_UPSTREAM'));
const expected = Buffer.from(
  `Basic ${Buffer.from(`${env('FRONT_USER')}:${env('FRONT_PASSWORD')}`).toString('base64')}`,
);

const authorized = (header) => {
  const got = Buffer.from(header ?? '');
  return got.length === expected.length && timingSafeEqual(got, expected);
};

const server = https.createServer(
  { cert: readFileSync(env('FRONT_CERT')), key: readFileSync(env('FRONT_KEY')) },
  (req, res) => {
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="schema-registry"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }));
      return;
    }
    const { authorization: _authorization, host: _host, ...headers } = req.headers;
    const forward = http.request(
      { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 502, message: `upstream: ${err.message}` }));
    });
    req.pipe(forward);
  },
);
server.listen(Number(env('FRONT_PORT')), '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => process.exit(0));
