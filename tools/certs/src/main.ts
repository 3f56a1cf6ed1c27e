// `npx node tools/certs/src/main.ts [--out DIR] [--host NAME]...`: makes a dev
// CA, a server certificate for every service and a client certificate, offline
// with openssl, and prints the environment that turns mutual TLS on.
import { makeDevCertificates } from './make-dev-certificates.ts';

const args = process.argv.slice(2);
let out = '.jobmesh/certs';
const hosts: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out' && args[i + 1]) out = args[++i]!;
  else if (args[i] === '--host' && args[i + 1]) hosts.push(args[++i]!);
  else {
    process.stderr.write('usage: node tools/certs/src/main.ts [--out DIR] [--host NAME]...  (default --out .jobmesh/certs; hosts localhost 127.0.0.1 127.0.0.2 ::1)\n');
    process.exit(2);
  }
}

makeDevCertificates(out, hosts.length ? { hosts: ['localhost', '127.0.0.1', '127.0.0.2', '::1', ...hosts] } : {}).then(
  (c) => {
    process.stdout.write(`dev certificates in ${c.dir} (for development only: the CA key is there too)\n\n` +
      `# every service (and npm start) and the CLI; each process reads its own certificate, {service} being\n` +
      `# orchestrator, persistence, vm-runner, fsops or (the CLI) client:\nexport JOBMESH_TLS_CA=${c.caCert}\n` +
      `export JOBMESH_TLS_CERT='${c.dir}/{service}.crt'\nexport JOBMESH_TLS_KEY='${c.dir}/{service}.key'\nexport JOBMESH_TLS_CLIENT_AUTH=require\n`);
  },
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
