/**
 * The size limits of the protocol and their defaults.
 *
 * @module
 */

/** Default limit, in UTF-8 bytes, on the user name a client logs in with. */
export const DEFAULT_MAX_USERNAME_SIZE = 25;

/** Default limit, in UTF-8 bytes, on each message a client sends. */
export const DEFAULT_MAX_MESSAGE_SIZE = 3000;

/**
 * Default limit, in UTF-8 bytes, on each string a client accepts from a server:
 * generous enough for any sensibly configured server, small enough that a hostile
 * one cannot make a client buffer 4 GiB.
 */
export const DEFAULT_MAX_INCOMING_SIZE = 16 * 1024 * 1024;

/** The largest value a `size` field can hold on the wire: 2^32 − 1. */
export const MAX_WIRE_SIZE = 0xffff_ffff;

/**
 * The largest timestamp a decoder accepts: 2^53 − 1, the largest integer a
 * JavaScript number holds exactly.
 */
export const MAX_TIMESTAMP: number = Number.MAX_SAFE_INTEGER;
