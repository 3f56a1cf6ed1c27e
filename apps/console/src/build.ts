// `node apps/console/src/build.ts`: builds the web front end now (as the console does at start
// when it is missing or stale) into JOBMESH_CONSOLE_DIST_DIR or apps/console/dist, and prints the
// folder. For images whose runtime user cannot write there: build when the image is made.
import { assertSupportedNode } from '@jobmesh/config';
import { ensureWebBuild } from './server/static/ensure-web-build.ts';

assertSupportedNode();
const dir = await ensureWebBuild(process.env.JOBMESH_CONSOLE_DIST_DIR || undefined, (line) => process.stderr.write(`${line}\n`));
process.stdout.write(`${dir}\n`);
