/**
 * The body of each message the load generator sends: printable ASCII (valid UTF-8
 * for any server) that tells every receiver when it was sent, by whom and in which
 * order, so each receiver measures latency and checks order on its own.
 *
 * | bytes     | content                                                      |
 * | --------- | ------------------------------------------------------------ |
 * | `[0,8)`   | send time, whole microseconds since the run's epoch (48 bits) |
 * | `[8,11)`  | sender index (18 bits)                                       |
 * | `[11,16)` | sequence number (30 bits)                                    |
 * | `[16,B)`  | filler `abc…zabc…`, checked on receipt                       |
 *
 * Numbers are base64url digits, most significant first.
 *
 * @module
 */

/** The length of the body header; the smallest body size. */
export const BODY_HEADER_SIZE = 16;
/** The largest sender index a body can carry. */
export const MAX_SENDERS = 1 << 18;
/** The largest sequence number a body can carry, plus one. */
export const MAX_SEQUENCE = 2 ** 30;

const DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const DIGIT_CODES = Uint8Array.from(DIGITS, (digit) => digit.charCodeAt(0));
const DIGIT_VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < DIGITS.length; i++) DIGIT_VALUES[DIGIT_CODES[i]!] = i;

/** The body's filler: `size` bytes of `abc…zabc…`. */
export function filler(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => 97 + i % 26);
}

/**
 * Writes the body header at `target[at..at+16)`.
 *
 * @param target Where the body is.
 * @param at Where the body starts.
 * @param sentUs The send time in whole microseconds, below 2^48.
 * @param sender The sender's index, below 2^18.
 * @param sequence The message's sequence number, below 2^30.
 */
export function writeBodyHeader(
  target: Uint8Array,
  at: number,
  sentUs: number,
  sender: number,
  sequence: number,
): void {
  let time = sentUs;
  for (let i = at + 7; i >= at; i--) {
    target[i] = DIGIT_CODES[time % 64]!;
    time = Math.floor(time / 64);
  }
  for (let i = at + 10; i >= at + 8; i--, sender >>>= 6) target[i] = DIGIT_CODES[sender & 63]!;
  for (let i = at + 15; i >= at + 11; i--, sequence >>>= 6) {
    target[i] = DIGIT_CODES[sequence & 63]!;
  }
}

/**
 * Reads `count` base64url digits of a received body, from a string.
 *
 * @param text The body.
 * @param at Where the digits start.
 * @param count How many digits.
 * @returns The number, or -1 when a character is not a digit.
 */
export function readDigits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? DIGIT_VALUES[code]! : -1;
    if (digit < 0) return -1;
    value = value * 64 + digit;
  }
  return value;
}

/**
 * Reads `count` (at most 5) base64url digits of a received body, from bytes.
 *
 * @param bytes The bytes holding the body.
 * @param at Where the digits start.
 * @param count How many digits, from 1 to 5.
 * @returns The number, or -1 when a byte is not a digit.
 */
export function readDigitBytes(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  let bad = 0;
  for (let i = at; i < at + count; i++) {
    const digit = DIGIT_VALUES[bytes[i]!]!;
    bad |= digit;
    value = value << 6 | digit;
  }
  return bad < 0 ? -1 : value;
}

/**
 * Reads the 8-digit send time of a received body, from bytes.
 *
 * @param bytes The bytes holding the body.
 * @param at Where the body starts.
 * @returns The send time in microseconds, or -1 when a byte is not a digit.
 */
export function readSendTime(bytes: Uint8Array, at: number): number {
  const high = readDigitBytes(bytes, at, 4);
  const low = readDigitBytes(bytes, at + 4, 4);
  return high < 0 || low < 0 ? -1 : high * 0x100_0000 + low;
}
