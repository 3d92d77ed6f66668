/**
 * Where the command's password comes from: `--password-file`, then
 * `WIRECHAT_PASSWORD`, then (on a terminal, once the server has said the name is
 * registered) a prompt without echo; and the one warning about plain TCP.
 *
 * @module
 */

import { firstLine, promptPassword } from "../../cli/password.ts";
import type { PasswordSource } from "../authenticate.ts";
import { LoginRefusedError } from "../errors.ts";

/** The password file cannot be read: one line saying why. */
export class PasswordFileError extends Error {
  override name = "PasswordFileError";
}

/** The environment variable that may hold the password. */
export const PASSWORD_VARIABLE = "WIRECHAT_PASSWORD";

/** The warning printed once when a password is used over plain TCP. */
export const PLAIN_TCP_WARNING = "Warning: authenticating over plain TCP: a recording of it " +
  "allows a dictionary attack on the password; prefer --tls";

/**
 * The password given on the command line or in the environment, if any.
 *
 * @param passwordFile The file of `--password-file`.
 * @returns The password, or `undefined` when none is given.
 * @throws {PasswordFileError} When the file cannot be read or its first line is empty.
 */
export async function givenPassword(passwordFile: string | undefined): Promise<string | undefined> {
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(passwordFile);
    } catch (error) {
      const why = error instanceof Deno.errors.NotCapable
        ? "no read permission: add --allow-read"
        : error instanceof Deno.errors.NotFound
        ? "no such file"
        : (error as Error).message;
      throw new PasswordFileError(`Cannot read the password file '${passwordFile}': ${why}`);
    }
    const password = firstLine(text);
    if (password === "") {
      throw new PasswordFileError(
        `Invalid password file '${passwordFile}': its first line is empty`,
      );
    }
    return password;
  }
  // Asked without the permission, Deno would prompt for it on a terminal: only
  // read the variable when allowed already.
  const allowed = Deno.permissions.querySync({ name: "env", variable: PASSWORD_VARIABLE });
  if (allowed.state !== "granted") return undefined;
  const value = Deno.env.get(PASSWORD_VARIABLE);
  return value === "" ? undefined : value;
}

/**
 * Whether a refusal says the name is registered (a password would get in).
 *
 * @param error What connecting threw.
 * @returns `true` for the server's "is registered" refusal.
 */
export function refusedAsRegistered(error: unknown): boolean {
  return error instanceof LoginRefusedError && /^the name ".*" is registered$/s.test(error.reason);
}

/**
 * A password asked at the terminal, once: later calls (reconnections) give the
 * same answer.
 *
 * @param username The name it is for.
 * @returns The password source.
 */
export function promptOnce(username: string): PasswordSource {
  let typed: Promise<string> | undefined;
  return () => typed ??= promptPassword(`Password for ${username}: `);
}
