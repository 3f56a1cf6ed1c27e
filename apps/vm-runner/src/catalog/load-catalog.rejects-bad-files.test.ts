import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@jobmesh/grpc-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createCatalog } from './create-catalog.ts';
import { defaultCatalog } from './default-catalog.ts';
import { loadCatalog } from './load-catalog.ts';

const test = suite<{ dir: string }>('catalog');
test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-catalog-'));
});
test.after(async (ctx) => rm(ctx.dir, { recursive: true, force: true }));

const write = async (dir: string, content: unknown) => {
  const path = join(dir, `c-${Math.random()}.json`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

test('no file means the built-in catalog: local on processes, debian-tcg on qemu, debian-12 once an image is built', async ({ dir }) => {
  const previous = process.env.JOBMESH_IMAGE_CACHE_DIR;
  try {
    process.env.JOBMESH_IMAGE_CACHE_DIR = join(dir, 'no-images');
    const catalog = createCatalog(await loadCatalog(undefined));
    assert.is(catalog.resolve('process').name, 'local');
    assert.is(catalog.resolve('qemu').name, 'debian-tcg');
    assert.equal(catalog.labels, defaultCatalog.labels);
    // An image folder as `npm run image:debian` leaves it (image.json written last).
    const image = join(dir, 'images', 'debian-12-0123456789abcdef');
    await mkdir(image, { recursive: true });
    await writeFile(join(image, 'image.json'), JSON.stringify({ name: 'debian-12', kernel: 'vmlinuz', initrd: 'initrd.img', disk: 'disk.qcow2', kernelCmdline: 'root=LABEL=root rw console=ttyS0', builtAt: '2026-12-05T00:00:00.000Z' }));
    process.env.JOBMESH_IMAGE_CACHE_DIR = join(dir, 'images');
    const debian = createCatalog(await loadCatalog(undefined)).resolve('debian-12');
    assert.ok(debian.backend === 'qemu' && 'cloudInit' in debian.image && debian.image.disk === join(image, 'disk.qcow2') && debian.network === 'nat');
  } finally {
    if (previous === undefined) delete process.env.JOBMESH_IMAGE_CACHE_DIR;
    else process.env.JOBMESH_IMAGE_CACHE_DIR = previous;
  }
});

test('image paths are resolved against the catalog file and defaults applied', async ({ dir }) => {
  const path = await write(dir, { labels: [{ name: 'custom', backend: 'qemu', image: { kernel: 'k/vmlinux', initrd: '/abs/initrd', disk: 'base.img' }, slots: 1 }] });
  const [label] = (await loadCatalog(path)).labels;
  assert.equal(label, { name: 'custom', aliases: [], backend: 'qemu', image: { kernel: join(dir, 'k/vmlinux'), initrd: '/abs/initrd', disk: join(dir, 'base.img'), manifest: undefined }, slots: 1, memoryMb: 256, cpus: 1 });
});

test('a bad file is refused with every problem listed', async ({ dir }) => {
  const path = await write(dir, { labels: [{ name: 'Bad Name', backend: 'process', slots: 0 }, { name: 'q', backend: 'qemu', slots: 1, image: {} }] });
  const error = await loadCatalog(path).then(() => undefined, (e: Error) => e);
  assert.ok(error, 'refused');
  for (const part of ['labels.0.name', 'labels.0.slots', 'labels.1.image']) assert.ok(error.message.includes(part), `${part} in ${error.message}`);
  const notJson = await loadCatalog(await write(dir, '{not json')).then(() => undefined, (e: Error) => e);
  assert.match(notJson?.message ?? '', /cannot read it as JSON/);
});

test('a name used twice is refused; an unknown label lists the known ones', () => {
  assert.throws(() => createCatalog({ labels: [{ name: 'a', aliases: [], backend: 'process', slots: 1 }, { name: 'b', aliases: ['a'], backend: 'process', slots: 1 }] }), /"a" names two labels/);
  const catalog = createCatalog(defaultCatalog);
  try {
    catalog.resolve('nope');
    assert.unreachable();
  } catch (error) {
    const e = error as { code: number; reason: string; message: string };
    assert.is(e.code, status.INVALID_ARGUMENT);
    assert.is(e.reason, 'UNKNOWN_LABEL');
    assert.ok(e.message.includes('"nope"') && e.message.includes('debian-tcg, local, process, qemu'), e.message);
  }
});

test.run();
