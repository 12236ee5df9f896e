import type { Random } from './random.ts';

/*
 * Phone numbers the way PBX logs really hold them: the same subscriber appears as a JSON
 * number, with a leading 8, with +7 and brackets, with dashes. Touchline must normalise all
 * of them to the same 11 digits.
 */

const MOBILE_CODES = ['903', '905', '915', '916', '925', '926', '977', '985', '999'];
const LANDLINE_CODES = ['495', '499'];

/** A Russian subscriber as 10 national digits, e.g. `9161234567`. */
export function randomSubscriber(random: Random): string {
  const code = random.chance(0.8) ? random.pick(MOBILE_CODES) : random.pick(LANDLINE_CODES);
  // First digit 2..9 keeps landline numbers inside real (valid) ranges.
  return `${code}${random.int(2, 9)}${String(random.int(0, 999_999)).padStart(6, '0')}`;
}

/** One written form of a national number; JSON numbers included. */
export function formatSubscriber(random: Random, national: string): string | number {
  const [a, b, c, d] = [
    national.slice(0, 3),
    national.slice(3, 6),
    national.slice(6, 8),
    national.slice(8),
  ];
  return random.weighted<() => string | number>([
    [() => `7${national}`, 35],
    [() => Number(`7${national}`), 15],
    [() => `8${national}`, 20],
    [() => `+7 (${a}) ${b}-${c}-${d}`, 15],
    [() => `8 (${a}) ${b}-${c}-${d}`, 10],
    [() => `+7${national}`, 5],
  ])();
}
