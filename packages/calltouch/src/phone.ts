import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * A phone number as Calltouch wants it: the full international number, digits only
 * (`79161234567`). Accepts whatever the PBX wrote — `89161234567`, `+7 (916) 123-45-67`,
 * `8 (495) 123-45-67`, `9161234567`, the number as a JSON number, `8 10 49 …` for abroad —
 * read in `defaultCountry` when it has no country code. Internal extensions (`101`), text
 * (`anonymous`) and numbers no country uses answer undefined.
 *
 * libphonenumber decides what is a number; `isValid()` rather than `isPossible()` because the
 * latter accepts e.g. `00380…` read as a 14-digit Russian number.
 */
export function normalizePhone(raw: unknown, defaultCountry: string = 'RU'): string | undefined {
  let text: string;
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw <= 0) return undefined;
    text = raw.toFixed(0);
  } else if (typeof raw === 'string') {
    text = raw.trim();
  } else {
    return undefined;
  }
  // Fewer than 5 digits is an internal extension, never a subscriber number anywhere.
  if (text.replace(/\D/g, '').length < 5) return undefined;
  const parsed = parsePhoneNumberFromString(text, defaultCountry as CountryCode);
  if (!parsed?.isValid()) return undefined;
  return parsed.number.slice(1);
}
