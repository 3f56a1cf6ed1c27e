/** Oldest Node major the project runs on (type stripping, slonik 49, OpenTelemetry 0.301). */
const minimumMajor = 24;

/**
 * Stops the process with a clear message when it runs on a Node older than 24,
 * which happens when node_modules/.bin/node is missing (`npm ci --ignore-scripts`)
 * or a tool was called from a plain shell with the system Node.
 */
export function assertSupportedNode(version: string = process.versions.node): void {
  const major = Number(version.split('.')[0]);
  if (major >= minimumMajor) return;
  process.stderr.write(
    `jobmesh needs Node ${minimumMajor} or newer, but this is Node ${version} (${process.execPath}).\n` +
      `Run through npm (npm start, npm test, npx nx ...), which puts the pinned node_modules/.bin/node first,\n` +
      `and install with scripts enabled (npm ci) so that the pinned Node is downloaded.\n`,
  );
  process.exit(1);
}
