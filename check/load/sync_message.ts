/**
 * The load generator's sync messages: the protocol has no login acknowledgement, so
 * `u0` sends `#SYNC:NNNNNN` messages until every client has received one, then a
 * `#FINL:NNNNNN` round that every client must receive before the run starts.
 * These helpers read them, and the sender index of a user name `uN`, in place.
 *
 * @module
 */

/** The size of a sync message's text: `#SYNC:000001`. */
export const SYNC_SIZE = 12;

/** The largest user name the load generator uses: `u` and 6 digits. */
export const MAX_USERNAME = 7;

/** The largest client index, so that `u<index>` fits in {@linkcode MAX_USERNAME} bytes. */
export const MAX_USER_INDEX = 999_999;

/** The decimal number in `text[start..end)`, or -1 when a character is not a digit. */
export function readDecimal(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** What a sync message is. */
export enum Sync {
  /** `#SYNC:NNNNNN`: a login round. */
  Sync,
  /** `#FINL:NNNNNN`: the last round before the run. */
  Final,
  /** Neither. */
  Invalid,
}

const SYNC_PREFIX = [35, 83, 89, 78, 67, 58]; // "#SYNC:"
const FINAL_PREFIX = [35, 70, 73, 78, 76, 58]; // "#FINL:"

/** The kind of the sync message whose text starts at `bytes[at]`. */
export function syncKind(bytes: Uint8Array, at: number): Sync {
  let sync = true;
  let final = true;
  for (let i = 0; i < 6; i++) {
    sync &&= bytes[at + i] === SYNC_PREFIX[i];
    final &&= bytes[at + i] === FINAL_PREFIX[i];
  }
  return sync ? Sync.Sync : final ? Sync.Final : Sync.Invalid;
}

/** The round number of the sync message whose text starts at `bytes[at]`, or -1. */
export function readSyncRound(bytes: Uint8Array, at: number): number {
  let value = 0;
  for (let i = at + 6; i < at + SYNC_SIZE; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The index N of a user name `uN` (canonical decimal), or -1. */
export function userIndex(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < 2 || bytes[start] !== 117 || (bytes[start + 1] === 48 && end - start > 2)) {
    return -1;
  }
  let value = 0;
  for (let i = start + 1; i < end; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
