// Whether the machine runs on mains power, for "prefetch only on AC" and the battery modes. Read
// asynchronously (sysfs on Linux, pmset on macOS, the battery's WMI status on Windows) at most
// once a minute and only when asked — no polling while idle.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type PowerState = 'ac' | 'battery' | 'unknown';

export async function readPowerState(platform: NodeJS.Platform = process.platform): Promise<PowerState> {
  try {
    if (platform === 'linux') return await linuxPowerState('/sys/class/power_supply');
    if (platform === 'darwin') return await macPowerState();
    if (platform === 'win32') return await windowsPowerState();
  } catch {
    // fall through
  }
  return 'unknown';
}

export async function linuxPowerState(root: string): Promise<PowerState> {
  const supplies = await fs.promises.readdir(root);
  let battery = false;
  for (const name of supplies) {
    const type = (await fs.promises.readFile(path.join(root, name, 'type'), 'utf8').catch(() => '')).trim();
    if (type === 'Mains' || type === 'USB' || type === 'USB_C') {
      const online = (await fs.promises.readFile(path.join(root, name, 'online'), 'utf8').catch(() => '0')).trim();
      if (online === '1') return 'ac';
    } else if (type === 'Battery') {
      battery = true;
    }
  }
  return battery ? 'battery' : 'ac'; // no battery at all: a desktop
}

function macPowerState(): Promise<PowerState> {
  return new Promise((resolve) => {
    execFile('pmset', ['-g', 'ps'], { timeout: 2000 }, (err, stdout) => {
      if (err) resolve('unknown');
      else resolve(/AC Power/u.test(stdout) ? 'ac' : /Battery Power/u.test(stdout) ? 'battery' : 'unknown');
    });
  });
}

/** Win32_Battery.BatteryStatus (https://learn.microsoft.com/windows/win32/cimwin32prov/win32-battery):
 *  1 (discharging), 4 (low) and 5 (critical) run on the battery; 2 (on AC), 3 (fully charged),
 *  6–9 (charging) and 11 (partially charged) are plugged in. No battery (a desktop): no output. */
export function windowsPowerStateOf(batteryStatus: string): PowerState {
  const status = batteryStatus.trim().split(/\s+/)[0];
  if (!status) return 'ac';
  if (['1', '4', '5'].includes(status)) return 'battery';
  if (['2', '3', '6', '7', '8', '9', '11'].includes(status)) return 'ac';
  return 'unknown';
}

function windowsPowerState(): Promise<PowerState> {
  return new Promise((resolve) => {
    const command = '(Get-CimInstance -ClassName Win32_Battery | Select-Object -First 1).BatteryStatus';
    execFile(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-Command', command],
      { timeout: 5000, windowsHide: true },
      (err, stdout) => {
        resolve(err ? 'unknown' : windowsPowerStateOf(stdout));
      },
    );
  });
}

/** The last known power state, refreshed in the background when older than `maxAgeMs`. */
export class PowerSource {
  private state: PowerState = 'unknown';
  private readAt = -Infinity;
  private reading?: Promise<void>;

  constructor(
    private readonly read: () => Promise<PowerState> = () => readPowerState(),
    private readonly maxAgeMs = 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  current(): PowerState {
    if (!this.reading && this.now() - this.readAt > this.maxAgeMs) {
      this.reading = this.read()
        .then(
          (state) => {
            this.state = state;
          },
          () => {
            this.state = 'unknown';
          },
        )
        .finally(() => {
          this.readAt = this.now();
          this.reading = undefined;
        });
    }
    return this.state;
  }

  /** Waits for a read in progress (tests). */
  async settled(): Promise<void> {
    await this.reading;
  }
}

/** tandem.completion.prefetch: never, only on mains power, or always. */
export const PREFETCH_MODES = ['off', 'onAC', 'always'] as const;
export type PrefetchMode = (typeof PREFETCH_MODES)[number];

export function prefetchAllowed(mode: PrefetchMode, power: PowerSource): boolean {
  if (mode === 'always') return true;
  if (mode === 'off') return false;
  return power.current() === 'ac';
}

/** tandem.completion.onBattery: on battery, complete as usual, save power, or only on request. */
export const BATTERY_MODES = ['normal', 'reduced', 'paused'] as const;
export type BatteryMode = (typeof BATTERY_MODES)[number];

/** The battery mode in effect now: the setting on battery, 'normal' on mains power (or unknown). */
export function batteryModeNow(setting: BatteryMode, power: PowerSource): BatteryMode {
  return setting !== 'normal' && power.current() === 'battery' ? setting : 'normal';
}
