export { ensureVmPackages, vmPackages } from './ensure-vm-packages.ts';
