// `tandem devices`: what the engine can run on. --json: { devices: DeviceInfo[], version } (each
// device with the kind that --device gpu|npu matches; see docs/backends.md).
import type { CliIo } from './io';

export function runDevices(cmd: { json: boolean }, io: CliIo): number {
  const addon = io.loadAddon();
  addon.setLogLevel(io.env.TANDEM_LOG_LEVEL || 'error');
  const devices = addon.devices();
  if (cmd.json) {
    io.stdout.write(`${JSON.stringify({ devices, version: addon.version() })}\n`);
    return 0;
  }
  for (const d of devices) {
    const memory =
      d.memoryTotalBytes > 0
        ? `, ${(d.memoryFreeBytes / 2 ** 30).toFixed(1)} of ${(d.memoryTotalBytes / 2 ** 30).toFixed(1)} GiB free`
        : '';
    const offload = d.hostWeightOffload ? ', offloads host weights (op-offload)' : '';
    io.stdout.write(`${d.name}\t${d.kind ?? d.type}\t${d.backend}\t${d.description}${memory}${offload}\n`);
  }
  if (devices.length === 0) io.stdout.write('no devices\n');
  return 0;
}
