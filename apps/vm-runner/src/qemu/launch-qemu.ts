import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GuestImage } from '@jobmesh/guest-images';
import { createQemuProcess, escapeOption, isQemuOfRunDir, qmpChardevArg, readPid, type QemuProcess } from './qemu-process.ts';
import { maxSocketPathBytes, runDirFiles } from './run-dir-files.ts';

/** Options of {@link launchQemu}. */
export interface LaunchQemuOptions {
  /** VM name (qemu `-name`, shown in `ps`). */
  name: string;
  image: GuestImage;
  /** qcow2 overlay of `image.baseDiskPath` (createOverlay); the guest's disk. */
  overlayPath: string;
  /** cidata seed ISO (createSeed). */
  seedPath: string;
  /** Directory for the pid file, sockets and logs; created if missing. Keep it short: socket paths are limited to 107 bytes. */
  runDir: string;
  /** Guest memory in MiB; at least 128 (less panics the test kernel). */
  memoryMb: number;
  cpus: number;
  accel: 'kvm' | 'tcg';
  /** How long qemu may take to create its sockets, in ms. @default 10000 */
  startTimeoutMs?: number;
  /** How the seed is attached: read-only virtio-blk (the test guest), or an IDE CD-ROM (cloud images). @default virtio */
  seedAs?: 'virtio' | 'cdrom';
  /** `nat`: user-mode NAT on virtio-net; `host-only`: the same with restrict=on; `none`: no NIC. @default none */
  network?: 'none' | 'nat' | 'host-only';
  /** Firmware when the image has no kernel: SeaBIOS or OVMF (UEFI). @default bios */
  firmware?: 'bios' | 'uefi';
  /** Kernel command line; @default the image manifest's, else the test guest's */
  kernelCmdline?: string;
}

/** Where Debian's `ovmf` package puts the UEFI firmware (code, variables template). */
const ovmfCandidates = [
  ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'],
  ['/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd'],
] as const;

async function firmwareArgs(options: LaunchQemuOptions, runDir: string): Promise<string[]> {
  if (options.image.kernelPath || options.firmware !== 'uefi') return [];
  const found = ovmfCandidates.find(([code, vars]) => existsSync(code) && existsSync(vars));
  if (!found) throw new Error('firmware uefi needs OVMF: apt-get install ovmf');
  const vars = path.join(runDir, 'uefi-vars.fd');
  if (!existsSync(vars)) await copyFile(found[1], vars);
  return ['-drive', `if=pflash,format=raw,readonly=on,file=${escapeOption(found[0])}`, '-drive', `if=pflash,format=raw,file=${escapeOption(vars)}`];
}

function networkArgs(network: LaunchQemuOptions['network']): string[] {
  if (network === 'nat') return ['-nic', 'user,model=virtio-net-pci'];
  if (network === 'host-only') return ['-nic', 'user,model=virtio-net-pci,restrict=on'];
  return [];
}

/** Kernel command line when the image has no manifest saying otherwise. */
const defaultKernelCmdline = 'console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init';
const agentPortName = 'jobmesh.agent';

/**
 * Starts qemu (q35, direct kernel boot, no graphics, `-no-reboot`) detached: in its own
 * session and process group, not tied to this process, so it survives a vm-runner restart
 * and attachQemu can find it again through `runDir`. Disks: the overlay (virtio-blk, `vda`)
 * and the seed (read-only virtio-blk, `vdb`). The guest agent port and QMP are unix sockets
 * in `runDir`; the serial console goes to `runDir/console.log`.
 *
 * Resolves once qemu has created both sockets (the guest is still booting: use
 * `agent.waitReady`).
 *
 * @throws Error on bad options (memory, socket path length), when a qemu already runs in
 * `runDir`, or when qemu exits or does not create its sockets in time (its log is quoted).
 */
export async function launchQemu(options: LaunchQemuOptions): Promise<QemuProcess> {
  if (options.memoryMb < 128) throw new Error(`memoryMb ${options.memoryMb}: the test guest needs at least 128`);
  if (!Number.isInteger(options.cpus) || options.cpus < 1) throw new Error(`cpus ${options.cpus}: must be a positive integer`);
  const runDir = path.resolve(options.runDir);
  const files = runDirFiles(runDir);
  for (const socket of [files.qmpSocket, files.agentSocket]) {
    if (Buffer.byteLength(socket) > maxSocketPathBytes) throw new Error(`runDir too long: ${socket} is over ${maxSocketPathBytes} bytes`);
  }
  await mkdir(runDir, { recursive: true });
  const running = readPid(runDir);
  // Removing a live VM's sockets would cut it off for good: attach to it instead.
  if (running !== undefined && isQemuOfRunDir(running, runDir)) throw new Error(`a qemu (pid ${running}) already runs in ${runDir}: use attachQemu`);
  await Promise.all([files.pidFile, files.qmpSocket, files.agentSocket].map((file) => rm(file, { force: true })));
  const cmdline = options.kernelCmdline ?? (await readKernelCmdline(options.image.manifestPath));
  const seed = path.resolve(options.seedPath);
  const boot = options.image.kernelPath
    ? ['-kernel', options.image.kernelPath, ...(options.image.initrdPath ? ['-initrd', options.image.initrdPath] : []), '-append', cmdline]
    : await firmwareArgs(options, runDir);
  const argv = [
    '-name', escapeOption(options.name),
    '-machine', 'q35',
    '-accel', options.accel,
    ...(options.accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-smp', String(options.cpus),
    '-m', `${options.memoryMb}M`,
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    ...boot,
    // Appending, so vm-runner can rotate the file under a running qemu (rotateConsole).
    '-chardev', `file,id=console,path=${escapeOption(files.consoleLog)},append=on`,
    '-serial', 'chardev:console',
    '-drive', `file=${escapeOption(path.resolve(options.overlayPath))},if=virtio,format=qcow2`,
    '-drive', options.seedAs === 'cdrom' ? `file=${escapeOption(seed)},if=ide,media=cdrom,format=raw,readonly=on` : `file=${escapeOption(seed)},if=virtio,format=raw,readonly=on`,
    ...networkArgs(options.network),
    '-device', 'virtio-serial-pci',
    '-chardev', `socket,id=agent,path=${escapeOption(files.agentSocket)},server=on,wait=off`,
    '-device', `virtserialport,chardev=agent,name=${agentPortName}`,
    '-qmp', qmpChardevArg(runDir),
    '-pidfile', files.pidFile,
  ];
  const log = openSync(files.qemuLog, 'a');
  let exitStatus: string | undefined;
  try {
    const child = spawn('qemu-system-x86_64', argv, { detached: true, stdio: ['ignore', log, log] });
    child.on('error', (error) => (exitStatus = `cannot start qemu-system-x86_64 (apt-get install qemu-system-x86): ${error.message}`));
    child.on('exit', (code, signal) => (exitStatus = `qemu exited (${code ?? signal})`));
    child.unref();
    await writeFile(files.launchRecord, JSON.stringify({ name: options.name, pid: child.pid, accel: options.accel, argv, startedAt: new Date().toISOString() }, null, 2) + '\n');
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    while (!(existsSync(files.qmpSocket) && existsSync(files.agentSocket) && readPid(runDir) !== undefined)) {
      if (exitStatus) throw new Error(`${exitStatus}: ${readLog(files.qemuLog)}`);
      if (Date.now() > deadline) {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
        throw new Error(`qemu did not create its sockets within ${options.startTimeoutMs ?? 10_000} ms: ${readLog(files.qemuLog)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return createQemuProcess(child.pid ?? readPid(runDir)!, runDir);
  } finally {
    closeSync(log);
  }
}

async function readKernelCmdline(manifestPath: string): Promise<string> {
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { kernelCmdline?: unknown };
    return typeof manifest.kernelCmdline === 'string' ? manifest.kernelCmdline : defaultKernelCmdline;
  } catch {
    return defaultKernelCmdline;
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().slice(-2000) || '(qemu.log empty)';
  } catch {
    return '(no qemu.log)';
  }
}
