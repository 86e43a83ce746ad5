// Credits are kept as integer millicredits (1 credit = 1000 mc) everywhere inside KAIRR, so that
// balances are sums of integers and stay exact under any number of debits; the API shows credits
// as decimals with at most three places.

export type Mc = number;

export function toMc(credits: number): Mc {
  return Math.round(credits * 1000);
}

export function fromMc(mc: Mc): number {
  return mc / 1000;
}

/**
 * The charge of one job: GPUs × seconds at `creditsPerGpuHour`, rounded to the nearest millicredit.
 * Rounding happens once per job (not per report), so a corrected report changes the charge by the
 * exact difference of two rounded values.
 */
export function chargeMc(gpus: number, seconds: number, creditsPerGpuHour: number): Mc {
  return Math.round((gpus * seconds * creditsPerGpuHour * 1000) / 3600);
}

export function isMc(v: unknown): v is Mc {
  return typeof v === 'number' && Number.isSafeInteger(v);
}
