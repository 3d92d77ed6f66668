/**
 * How a session of the command-line client ends, whatever its mode.
 *
 * @module
 */

/**
 * How a session ended:
 *
 * - `quit`: the input ended or the user quit (exit status 0);
 * - `disconnected`: the connection ended first: the server closed it, broke the
 *   protocol, or the network failed (exit status 1);
 * - `failed`: the client could not write its output (exit status 1).
 */
export type SessionEnd =
  | { readonly kind: "quit" }
  | { readonly kind: "disconnected"; readonly error: Error }
  | { readonly kind: "failed"; readonly error: Error };
