/**
 * What the NATS driver needs around its connection: the URLs parsed (credentials
 * apart), a guard against the NATS client's stray socket errors, and small checks.
 *
 * @module
 */

import type { LogLevel } from "../../options.ts";

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
