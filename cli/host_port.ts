/**
 * An address as a person writes it, for the server's log and the client's
 * messages alike.
 *
 * @module
 */

/**
 * `host:port`, with an IPv6 address in brackets.
 *
 * @param hostname A host name or an IP address.
 * @param port A port.
 * @returns The address as a person writes it.
 *
 * @example
 * ```ts
 * import { formatHostPort } from "./host_port.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatHostPort("::1", 9000), "[::1]:9000");
 * assert.equal(formatHostPort("127.0.0.1", 9000), "127.0.0.1:9000");
 * ```
 */
export function formatHostPort(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
