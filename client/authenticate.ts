/**
 * The client's side of the accounts extension: the marker login, SCRAM-SHA-256
 * in the seed's frames, before the {@linkcode ChatClient} takes the connection.
 * Nothing secret is sent until the server's very first frame is a challenge
 * from `*` that echoes this client's nonce and asks for enough iterations; a
 * seed server (which relays the client's own message back, or other users'
 * messages) gets nothing more.
 *
 * @module
 */

import { encodeString } from "../protocol/encode.ts";
import { readU32 } from "../protocol/integers.ts";
import { SCRAM_LOGIN, ScramClient, ScramError } from "../protocol/scram.ts";
import { writeAll } from "../io/write_all.ts";
import { sanitize } from "./sanitize.ts";
import { LoginRefusedError } from "./errors.ts";

/** How long the client waits for the server's challenge, by default, in milliseconds. */
export const CHALLENGE_TIMEOUT_MS = 5000;

// A challenge or a reason is short: anything longer is not one.
const MAX_FIELD = 4096;

/**
 * An authentication that could not go on: the server does not speak the accounts
 * extension, its challenge is refused, or it did not prove it knows the account.
 * Nothing secret was sent in the first two cases.
 *
 * @example Telling a server without accounts
 * ```ts
 * import { AuthenticationError } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * const error = new AuthenticationError("unsupported", "this server does not support accounts");
 * assert.equal(error.kind, "unsupported");
 * ```
 */
export class AuthenticationError extends Error {
  /**
   * `unsupported`: no challenge came (a seed server); `challenge`: the challenge
   * was refused (too few iterations, a wrong nonce); `server`: the server's
   * signature did not match.
   */
  readonly kind: "unsupported" | "challenge" | "server";

  /**
   * Creates an authentication error.
   *
   * @param kind What went wrong.
   * @param message What to tell the user.
   */
  constructor(kind: "unsupported" | "challenge" | "server", message: string) {
    super(message);
    this.name = "AuthenticationError";
    this.kind = kind;
  }
}

/** A password, or a way to ask for it once the server has shown it speaks accounts. */
export type PasswordSource = string | (() => string | Promise<string>);

/** What {@linkcode authenticate} needs besides the connection. */
export interface AuthenticateOptions {
  /** The user name. */
  readonly username: string;
  /** The password, or how to ask for it (called after a valid challenge only). */
  readonly password: PasswordSource;
  /**
   * How long to wait for the challenge, in milliseconds.
   *
   * @default {5000}
   */
  readonly challengeTimeout?: number;
  /** Fewest iterations accepted (tests only lower it: the default is the minimum). */
  readonly minIterations?: number;
}

interface Frame {
  readonly username: string;
  readonly text: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

async function readExactly(conn: Deno.Conn, size: number): Promise<Uint8Array | null> {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size;) {
    const read = await conn.read(bytes.subarray(at));
    if (read === null) return null;
    at += read;
  }
  return bytes;
}

// Reads exactly one frame, and not a byte more: what follows is the ChatClient's.
async function readFrame(conn: Deno.Conn): Promise<Frame | null> {
  const fields: string[] = [];
  const head = await readExactly(conn, 8);
  if (head === null) return null;
  for (let i = 0; i < 2; i++) {
    const sizeBytes = await readExactly(conn, 4);
    if (sizeBytes === null) return null;
    const size = readU32(sizeBytes, 0);
    if (size > MAX_FIELD) return { username: "", text: "" }; // not a challenge
    const bytes = await readExactly(conn, size);
    if (bytes === null) return null;
    try {
      fields.push(decoder.decode(bytes));
    } catch {
      return { username: "", text: "" };
    }
  }
  return { username: fields[0]!, text: fields[1]! };
}

function unsupported(): AuthenticationError {
  return new AuthenticationError("unsupported", "this server does not support accounts");
}

// The server's first frame, within the deadline; null when the connection ended.
async function firstFrame(conn: Deno.Conn, timeoutMs: number): Promise<Frame | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const reading = readFrame(conn);
  try {
    const first = await Promise.race([reading, timeout]);
    if (first === "timeout") {
      try {
        conn.close(); // the pending read ends with it
      } catch {
        // Already closed.
      }
      await reading.catch(() => {});
      throw unsupported();
    }
    return first;
  } finally {
    clearTimeout(timer);
  }
}

// A frame from `*` that is not what was awaited: the server said why it refuses.
function refusal(frame: Frame | null): Error {
  if (frame === null) return new LoginRefusedError("the server closed the connection");
  if (frame.username !== "*") return unsupported();
  return new LoginRefusedError(sanitize(frame.text));
}

/**
 * Authenticates on a fresh connection: sends the marker login and the
 * client-first message, checks the challenge, asks for the password, sends the
 * proof and checks the server's signature. On success, the connection is logged
 * in (the login is sent) and positioned right after the server's last SCRAM
 * frame. On failure the caller closes the connection.
 *
 * @param conn A connection to a chat server, nothing sent yet.
 * @param options The user name, the password and the deadline.
 * @throws {AuthenticationError} When the server does not speak accounts, its
 * challenge is refused (nothing secret sent) or its signature does not match.
 * @throws {LoginRefusedError} When the server refuses (a wrong password, a name
 * not registered, too many attempts), with its words.
 */
export async function authenticate(conn: Deno.Conn, options: AuthenticateOptions): Promise<void> {
  const scram = new ScramClient(
    options.username,
    options.minIterations === undefined ? {} : { minIterations: options.minIterations },
  );
  const login = encodeString(SCRAM_LOGIN);
  const first = encodeString(scram.first);
  const opening = new Uint8Array(login.length + first.length);
  opening.set(login);
  opening.set(first, login.length);
  await writeAll(conn, opening);
  const challenge = await firstFrame(conn, options.challengeTimeout ?? CHALLENGE_TIMEOUT_MS);
  if (challenge === null || challenge.username !== "*" || !challenge.text.startsWith("r=")) {
    throw refusal(challenge);
  }
  try {
    scram.check(challenge.text);
  } catch (error) {
    if (!(error instanceof ScramError)) throw error;
    throw new AuthenticationError(
      "challenge",
      `the server's challenge is refused: ${error.message}`,
    );
  }
  const password = typeof options.password === "string"
    ? options.password
    : await options.password();
  await writeAll(conn, encodeString(await scram.final(challenge.text, password)));
  const outcome = await readFrame(conn);
  if (outcome === null || outcome.username !== "*" || !outcome.text.startsWith("v=")) {
    throw refusal(outcome);
  }
  if (!scram.verify(outcome.text)) {
    throw new AuthenticationError(
      "server",
      "the server's signature does not match: it does not know this account",
    );
  }
}
