/**
 * Values of the standard base64 alphabet (RFC 4648 §4) by character code, -1 for anything else
 * (padding included). Hot paths that hold 44-character hashes as text decode the few bytes they
 * need with it in plain JS: a `Buffer.write(s, 'base64')` per item costs more than the lookup.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export const BASE64_DIGITS: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** The value of the base64 character at `text[index]`, or -1 when it is not in the alphabet. */
export function base64DigitAt(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? BASE64_DIGITS[code] : -1;
}
