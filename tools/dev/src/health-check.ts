// `node tools/dev/src/health-check.ts HOST:PORT [SERVICE]`: exits 0 when the
// server's grpc.health.v1 Check answers SERVING, 1 otherwise. The compose
// health checks run it inside the service containers.
import { waitUntilServing } from './wait-until-serving.ts';

const [address, timeout] = [process.argv[2], Number(process.env.JOBMESH_HEALTH_TIMEOUT_MS ?? 3000)];
if (!address) {
  process.stderr.write('usage: health-check.ts HOST:PORT\n');
  process.exit(2);
}
waitUntilServing(address, timeout, () => true).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
