/**
 * How a connection ends, in words: the log's, and the client's (the *Why*
 * extension); what a connection that speaks HTTP or TLS to the chat port looks like.
 *
 * @module
 */

import { ProtocolError } from "../../protocol/errors.ts";
import { errorMessage } from "../../cli/error_message.ts";
import type { DisconnectReason } from "./session_host.ts";

// The first four bytes of an HTTP request (RFC 9110 methods, and HTTP/2's "PRI *"):
// read as a login's size they are over a gigabyte, so no client sends them.
const HTTP_START = /^(GET |HEAD|POST|PUT |DELE|CONN|OPTI|TRAC|PATC|PRI )/;

/** The end of a connection that spoke HTTP to the chat port. */
export const LOOKS_LIKE_HTTP: DisconnectReason = {
  text: "looks like HTTP (a browser or curl pointed at the chat port; " +
    "the web page is served by --web)",
  level: "info",
  cause: "protocol error",
};

/** The end of a connection that began a TLS handshake on the plain port. */
export const LOOKS_LIKE_TLS: DisconnectReason = {
  text: "looks like TLS (a TLS client pointed at the plain port; TLS is served by --tls)",
  level: "info",
  cause: "protocol error",
};

/**
 * Whether the first bytes of a connection are a TLS handshake record (`16 03`):
 * read as a login's size they are over 350 MB, so no chat client sends them.
 *
 * @param head The first bytes read, at least two for a yes.
 * @returns `true` for the start of a TLS ClientHello.
 */
export function looksLikeTls(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x16 && head[1] === 0x03;
}

/**
 * What a client is told, from `*`, before its connection is closed for a
 * protocol error (the *Why* extension): its own words, without the codec's
 * prefix.
 *
 * @example
 * ```ts
 * import { whyText } from "./session.ts";
 * import { ProtocolError } from "../../protocol/errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ProtocolError(
 *   "SIZE_LIMIT",
 *   "Cannot decode frame: message size 40 exceeds the limit of 20 bytes",
 * );
 * assert.equal(whyText(error), "message of 40 bytes over the limit of 20");
 * ```
 *
 * @param error What the decoder threw.
 * @returns One line for the client.
 */
export function whyText(error: ProtocolError): string {
  const size = /(message|user name) size (\d+) exceeds the limit of (\d+)/.exec(error.message) ??
    /(user name): its size (\d+) exceeds the limit of (\d+)/.exec(error.message);
  if (size !== null) return `${size[1]} of ${size[2]} bytes over the limit of ${size[3]}`;
  return error.message.replace(/^Cannot decode frame: /, "").replace(
    /^Invalid user name/,
    "invalid user name",
  );
}

/**
 * Whether the first bytes of a connection are the start of an HTTP request.
 *
 * @param head The first bytes read, at least four for a yes.
 * @returns `true` for `GET `, `POST`, `HEAD` and the other methods.
 */
export function looksLikeHttp(head: Uint8Array): boolean {
  return head.length >= 4 && HTTP_START.test(String.fromCharCode(...head.subarray(0, 4)));
}

/**
 * Why a connection ended, from what its read or write threw; `words` is the
 * link's own wording of its errors, tried first.
 */
export function describe(
  error: unknown,
  words?: (error: unknown) => string | undefined,
): DisconnectReason {
  const own = words?.(error);
  if (own !== undefined) return { text: own, level: "info", cause: "protocol error" };
  if (error instanceof ProtocolError) {
    return {
      text: `protocol error: ${error.message} (${error.code})`,
      level: "warn",
      cause: "protocol error",
    };
  }
  if (error instanceof Deno.errors.ConnectionReset) {
    return { text: "connection reset by peer", level: "info" };
  }
  if (error instanceof Deno.errors.BrokenPipe) return { text: "connection lost", level: "info" };
  const message = errorMessage(error);
  return { text: `connection error: ${message}`, level: "warn" };
}

/**
 * A connection's first bytes, kept until there are four: an HTTP request's method
 * or a TLS record tells a browser or a TLS client from a chat client when the
 * login fails.
 *
 * @param head The bytes kept so far.
 * @param bytes The bytes just read.
 * @returns The bytes kept now, or `undefined` once four decide it is neither.
 */
export function keepHead(head: Uint8Array, bytes: Uint8Array): Uint8Array | undefined {
  const kept = new Uint8Array(Math.min(4, head.length + bytes.length));
  kept.set(head);
  kept.set(bytes.subarray(0, kept.length - head.length), head.length);
  // Four bytes decide; a logged-in session never needs them.
  if (kept.length === 4 && !looksLikeHttp(kept) && !looksLikeTls(kept)) return undefined;
  return kept;
}
