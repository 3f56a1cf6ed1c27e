import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootToMarker, ensureDebianImage, type DebianImage } from '../src/index.ts';

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`needs Node 24 or newer, got ${process.versions.node}: run with npx node\n`);
  process.exit(1);
}

// `npm run image:debian` (a .ci/run step) normally built the image already; building it here
// takes a few minutes. Each boot is a full Debian boot under TCG: about 50 s here.
const buildDeadlineMs = 15 * 60_000;
const bootTimeoutMs = 4 * 60_000;

let image: DebianImage;

/** uvu has no per-test timeout. */
function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms); });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('error', reject).on('end', () => resolve(hash.digest('hex')));
  });
}

test('the image exists (built if absent) with its kernel, initrd and a qcow2 disk matching image.json', async () => {
  const began = performance.now();
  image = await withDeadline(ensureDebianImage({ onProgress: (line) => console.log(`[image] ${line}`) }), buildDeadlineMs, 'ensureDebianImage');
  console.log(`[timing] ensureDebianImage: ${Math.round(performance.now() - began)} ms (${image.dir})`);
  for (const file of [image.kernelPath, image.initrdPath, image.diskPath]) assert.ok(existsSync(file), file);
  assert.is(image.manifest.name, 'debian-12');
  assert.is(image.manifest.diskFormat, 'qcow2');
  assert.is(await sha256File(image.diskPath), image.manifest.diskSha256);
  assert.match(image.manifest.kernelCmdline, /root=LABEL=root/);
});

test('boots with plain qemu under TCG: cloud-init runs the seed, DHCP gives an address, the guest powers off', async () => {
  const result = await withDeadline(bootToMarker(image, { timeoutMs: bootTimeoutMs }), bootTimeoutMs + 30_000, 'bootToMarker');
  console.log(`[timing] boot to marker ${result.markerMs} ms, qemu exit ${result.exitMs} ms (TCG, q35, 1024M): ${result.markerLine}`);
  assert.is(result.kernelRelease, image.manifest.kernelVersion);
  assert.ok(result.addresses.includes('10.0.2.15'), `DHCP address from qemu's user-mode NAT, got: ${result.addresses.join(' ') || 'none'}`);
  assert.ok(result.exitMs >= result.markerMs);
});

test('boots without a NIC without waiting for the network', async () => {
  const result = await withDeadline(bootToMarker(image, { timeoutMs: bootTimeoutMs, network: false }), bootTimeoutMs + 30_000, 'bootToMarker');
  console.log(`[timing] no NIC: boot to marker ${result.markerMs} ms, qemu exit ${result.exitMs} ms`);
  assert.equal(result.addresses, []);
});

test.run();
