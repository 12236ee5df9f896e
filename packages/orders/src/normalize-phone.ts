import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * A deal phone as Calltouch matches it: the international number, digits only (`79161234567`).
 * `8 (916) 123-45-67`, `+7 916 …` and bare `9161234567` are read in `defaultCountry`; numbers
 * libphonenumber does not consider valid answer undefined (and are left out of matching).
 *
 * A thin copy of `@touchline/calls`' normalizePhone: that package has no public entry point
 * yet, and workspaces may not import each other's files by path.
 */
export function normalizePhone(raw: string, defaultCountry = 'RU'): string | undefined {
  const text = raw.trim();
  if (text.replace(/\D/g, '').length < 5) return undefined;
  const parsed = parsePhoneNumberFromString(text, defaultCountry as CountryCode);
  return parsed?.isValid() ? parsed.number.slice(1) : undefined;
}
