import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A temperature in degrees Celsius and where it comes from. */
export interface Temperature {
  /** Stable identifier: `thermal_zone0`, `hwmon0_temp1`. */
  id: string;
  label: string;
  celsius: number;
}

/**
 * Temperatures the kernel exposes: /sys/class/thermal/thermal_zone* (`type`, `temp`)
 * and /sys/class/hwmon/hwmon* (`name`, `tempN_input`, `tempN_label`), both in
 * millidegrees. Machines without them (VMs) simply have none.
 */
export async function readTemperatures(root: string): Promise<Temperature[]> {
  return [...(await thermalZones(root)), ...(await hwmonSensors(root))];
}

async function thermalZones(root: string): Promise<Temperature[]> {
  const base = join(root, 'sys/class/thermal');
  const out: Temperature[] = [];
  for (const zone of (await list(base)).filter((name) => /^thermal_zone\d+$/.test(name)).sort(byNumber)) {
    const milli = await readNumber(join(base, zone, 'temp'));
    if (milli === null) continue;
    const type = (await readText(join(base, zone, 'type'))) ?? zone;
    out.push({ id: zone, label: `${type} (${zone})`, celsius: milli / 1000 });
  }
  return out;
}

async function hwmonSensors(root: string): Promise<Temperature[]> {
  const base = join(root, 'sys/class/hwmon');
  const out: Temperature[] = [];
  for (const chip of (await list(base)).filter((name) => /^hwmon\d+$/.test(name)).sort(byNumber)) {
    const chipName = (await readText(join(base, chip, 'name'))) ?? chip;
    const inputs = (await list(join(base, chip))).filter((name) => /^temp\d+_input$/.test(name)).sort(byNumber);
    for (const input of inputs) {
      const milli = await readNumber(join(base, chip, input));
      if (milli === null) continue;
      const sensor = input.replace('_input', '');
      const label = (await readText(join(base, chip, `${sensor}_label`))) ?? sensor;
      out.push({ id: `${chip}_${sensor}`, label: `${chipName} ${label}`, celsius: milli / 1000 });
    }
  }
  return out;
}

const byNumber = (a: string, b: string): number => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]) || a.localeCompare(b);

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function readText(file: string): Promise<string | null> {
  try {
    return (await readFile(file, 'utf8')).trim() || null;
  } catch {
    return null;
  }
}

async function readNumber(file: string): Promise<number | null> {
  const text = await readText(file);
  const value = text === null ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : null;
}
