/**
 * How a session of the command-line client ends, whatever its mode.
 *
 * @module
 */

import { describeNetworkError } from "../errors.ts";

/**
 * How a session ended:
 *
 * - `quit`: the input ended or the user quit (exit status 0); `notSent` counts
 *   the lines of input that were refused and not sent, `notConfirmed` the lines
 *   sent that the server never echoed (exit status 3 when either is counted);
 * - `disconnected`: the connection ended first: the server closed it, broke the
 *   protocol, or the network failed (exit status 1); `notConfirmed` counts the
 *   lines sent that the server had not echoed;
 * - `failed`: the client could not read its input or write its output (exit
 *   status 1); the error's message says so, in one line.
 */
export type SessionEnd =
  | { readonly kind: "quit"; readonly notSent?: number; readonly notConfirmed?: number }
  | { readonly kind: "disconnected"; readonly error: Error; readonly notConfirmed?: number }
  | { readonly kind: "failed"; readonly error: Error };

/**
 * The end of a session whose input or output failed.
 *
 * @param what `"read input"` or `"write output"`.
 * @param cause What Deno threw.
 * @returns The session's end, with a one-line message.
 */
export function failed(what: "read input" | "write output", cause: unknown): SessionEnd {
  return {
    kind: "failed",
    error: new Error(`Cannot ${what}: ${describeNetworkError(cause)}`, { cause }),
  };
}
