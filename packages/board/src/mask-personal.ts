/**
 * Masks for personal data shown on the board (issue 12 item 15): callers' phone numbers and
 * e-mail addresses are in every flow's jobs (MCN `src_num`/`did`, a deal's `phones`/`emails`,
 * a lead's `client.phones`/`contacts`) and an operator needs none of them in clear to tell
 * items apart: the call id, order number and request id do that, and the last two digits of a
 * number are left for a quick comparison with the source.
 */

/** Keys whose values are phone numbers, in the shapes MCN, the CRM and Calltouch send. */
const PHONE_KEY =
  /phone|(?:^|_)(?:did|did_mcn|did_num|abon|msisdn|callerid)(?:$|_)|(?:^|_)(?:src|dst)_num$/i;
const EMAIL_KEY = /e-?mail/i;
/** Calltouch's `contacts[].contactValue`: an e-mail or a phone, by `contactType`. */
const CONTACT_KEY = /^contact_?value$/i;

const EMAIL_IN_TEXT = /[\w.+%-]+@[\w-]+(?:\.[\w-]+)+/g;
/**
 * A Russian number in free text (`79161234567`, `+7 (915) 777-11-22`, `8 915 777 11 22`): not
 * inside a longer word, id or decimal (`call-79161234567` is a job id and stays readable).
 */
const PHONE_IN_TEXT =
  /(?<![\w.+-])\+?[78][\s(-]{0,2}\d{3}[\s)-]{0,2}\d{3}[\s-]?\d{2}[\s-]?\d{2}(?![\w.])/g;

/** Every digit but the last two becomes `*`; the formatting stays. */
export function maskPhone(value: string | number): string {
  const text = String(value);
  const digits = text.replace(/\D/g, '').length;
  let seen = 0;
  return text.replace(/\d/g, (d) => (++seen > digits - 2 ? d : '*'));
}

/** `ivan.petrov@example.com` → `i***@example.com`. */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at <= 0) return value === '' ? '' : `${value[0]}***`;
  return `${value[0]}***${value.slice(at)}`;
}

/** E-mails and phone numbers found in free text (reasons, comments, logs). */
export function maskPersonalText(text: string): string {
  return text.replace(EMAIL_IN_TEXT, maskEmail).replace(PHONE_IN_TEXT, maskPhone);
}

/** How the value under `key` is to be masked, if the key says it holds personal data. */
export function personalMask(key: string): ((value: unknown) => unknown) | undefined {
  if (PHONE_KEY.test(key)) return (v) => maskLeaves(v, maskPhone);
  if (EMAIL_KEY.test(key)) return (v) => maskLeaves(v, maskEmail);
  if (CONTACT_KEY.test(key))
    return (v) =>
      maskLeaves(v, (s) => (String(s).includes('@') ? maskEmail(String(s)) : maskPhone(s)));
  return undefined;
}

/** Applies `mask` to every string and number under `value` (a list of phones, an object of them). */
function maskLeaves(value: unknown, mask: (v: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return value === '' ? value : mask(value);
  if (typeof value === 'number') return mask(String(value));
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => maskLeaves(v, mask, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      maskLeaves(v, mask, depth + 1),
    ]),
  );
}
