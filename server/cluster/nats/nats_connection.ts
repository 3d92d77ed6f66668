/**
 * What the NATS driver needs around its connection: the URLs parsed (credentials
 * apart), a guard against the NATS client's stray socket errors, the retry pause and request
 * timeout, and small checks.
 *
 * @module
 */

import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/transport-node";
import type { Authenticator } from "@nats-io/transport-node";
import type { LogLevel, NatsAuth } from "../../options.ts";

// The NATS client for Node, run on Deno's node:net, can let a socket's late "error"
// event (ECONNRESET after nats-server refused or dropped the connection) escape as an
// uncaught exception, which would end the server. Nothing else in wirechat uses
// node:net, so a stray socket error of these kinds is the NATS client's own: it is
// logged, and the client's reconnection (or the start's retries) goes on.
const STRAY_SOCKET_ERRORS = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT"]);
let strayErrorLog: ((level: LogLevel, line: string) => void) | undefined;
let strayErrorsGuarded = false;

/** Logs, instead of crashing on, the NATS client's stray socket errors. */
export function guardStraySocketErrors(log: (level: LogLevel, line: string) => void): void {
  strayErrorLog = log;
  if (strayErrorsGuarded) return;
  strayErrorsGuarded = true;
  globalThis.addEventListener("error", (event) => {
    const code = (event.error as { code?: unknown } | null | undefined)?.code;
    if (typeof code !== "string" || !STRAY_SOCKET_ERRORS.has(code)) return;
    event.preventDefault();
    strayErrorLog?.("warn", `NATS connection error: ${code}`);
  });
}

/** Pause between two tries: to connect at start, to publish, to read the stream. */
export const RETRY_DELAY_MS = 250;

/** How long a publish or a JetStream API call waits for its answer before it is tried again. */
export const REQUEST_TIMEOUT_MS = 2_000;

/** Checks an integer option. */
export function integer(name: string, value: number, least: number): number {
  if (!Number.isSafeInteger(value) || value < least) {
    throw new RangeError(`Invalid ${name}: ${value} is not an integer of at least ${least}`);
  }
  return value;
}

/**
 * Takes credentials out of the URLs (the client wants them as options) and keeps
 * addresses that can be logged.
 */
export function parseServers(urls: readonly string[]): {
  servers: string[];
  credentials: { user?: string; pass?: string; token?: string };
} {
  const servers: string[] = [];
  let credentials: { user?: string; pass?: string; token?: string } = {};
  for (const text of urls) {
    if (!text.includes("://")) {
      servers.push(text);
      continue;
    }
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new TypeError(`Invalid NATS URL: "${text.replace(/\/\/[^@/]*@/, "//***@")}"`);
    }
    if (url.username !== "" && Object.keys(credentials).length === 0) {
      const user = decodeURIComponent(url.username);
      credentials = url.password === ""
        ? { token: user }
        : { user, pass: decodeURIComponent(url.password) };
    }
    servers.push(`${url.protocol}//${url.host}`);
  }
  return { servers, credentials };
}

/** Whether a JetStream error says a stream or consumer does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && /not found/i.test(error.message);
}

/** The options of the NATS client's `connect` that say who this node is. */
export interface NatsConnectAuth {
  /** A user. */
  user?: string;
  /** Its password. */
  pass?: string;
  /** A token. */
  token?: string;
  /** Creds or an nkey. */
  authenticator?: Authenticator;
  /** TLS with these CA certificates. */
  tls?: { ca: string };
}

/**
 * The `connect` options for `auth` and a CA.
 *
 * @param auth How the node proves itself, if at all.
 * @param ca CA certificates (PEM) for TLS to NATS.
 * @returns The options to spread into `connect`.
 */
export function connectAuth(auth: NatsAuth | undefined, ca: string | undefined): NatsConnectAuth {
  const tls = ca === undefined ? {} : { tls: { ca } };
  if (auth === undefined) return tls;
  const encoder = new TextEncoder();
  if ("password" in auth) return { ...tls, user: auth.user, pass: auth.password };
  if ("token" in auth) return { ...tls, token: auth.token };
  if ("creds" in auth) {
    return { ...tls, authenticator: credsAuthenticator(encoder.encode(auth.creds)) };
  }
  return { ...tls, authenticator: nkeyAuthenticator(encoder.encode(auth.nkeySeed)) };
}

/** Whether `connect` options carry no way to authenticate. */
export function noAuth(auth: NatsConnectAuth): boolean {
  return auth.user === undefined && auth.token === undefined && auth.authenticator === undefined;
}
