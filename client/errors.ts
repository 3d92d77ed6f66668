/**
 * The errors the client library throws, and how a network error reads to a person.
 *
 * @module
 */

import { formatHostPort } from "../cli/host_port.ts";

/**
 * The client could not connect to the server: the connection was refused, the
 * host was not found, the network is unreachable. The `cause` is Deno's error.
 *
 * @example Telling a failed connection from other failures
 * ```ts
 * import { connect, ConnectError } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * // A port nobody listens on: bind one, note it, free it.
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr;
 * listener.close();
 *
 * await assert.rejects(
 *   connect({ hostname: "127.0.0.1", port, username: "bob" }),
 *   (error) => error instanceof ConnectError && /connection refused$/.test(error.message),
 * );
 * ```
 */
export class ConnectError extends Error {
  /** The host name the client tried. */
  readonly hostname: string;
  /** The port the client tried. */
  readonly port: number;

  /**
   * Creates a connection error.
   *
   * @param hostname The host name the client tried.
   * @param port The port the client tried.
   * @param cause What Deno reported.
   */
  constructor(hostname: string, port: number, cause: unknown) {
    super(`Cannot connect to ${formatHostPort(hostname, port)}: ${describeNetworkError(cause)}`, {
      cause,
    });
    this.name = "ConnectError";
    this.hostname = hostname;
    this.port = port;
  }
}

/**
 * The connection is closed, or closed while in use: the server closed it, the
 * network failed, or the client was closed. A network failure is the `cause`.
 *
 * @example Sending after closing
 * ```ts
 * import { ConnectionClosedError } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * const error = new ConnectionClosedError("Connection closed by the server");
 * assert.ok(error instanceof ConnectionClosedError);
 * assert.equal(error.message, "Connection closed by the server");
 * ```
 */
export class ConnectionClosedError extends Error {
  /**
   * What the server said, right before it closed the connection, about why (the
   * *Why* extension: one frame from `*`), made safe to show; undefined when it
   * said nothing.
   */
  readonly serverReason: string | undefined;

  /**
   * Creates a connection-closed error.
   *
   * @param message What happened, for a person.
   * @param options The network error behind it, if any, as `cause`; the server's
   * reason, if it gave one, as `serverReason`.
   */
  constructor(message: string, options?: ErrorOptions & { serverReason?: string }) {
    super(message, options);
    this.name = "ConnectionClosedError";
    this.serverReason = options?.serverReason;
  }
}

/**
 * The server refused the login and said why, with the *Why* extension, before
 * it closed the connection: the name is taken, or registered to an account.
 *
 * @example Reading the server's reason
 * ```ts
 * import { ConnectionClosedError, LoginRefusedError } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * const error = new LoginRefusedError('the name "alice" is taken');
 * assert.ok(error instanceof ConnectionClosedError);
 * assert.equal(error.message, 'Login refused: the name "alice" is taken');
 * assert.equal(error.reason, 'the name "alice" is taken');
 * ```
 */
export class LoginRefusedError extends ConnectionClosedError {
  /** The server's words, made safe to show: the same as `serverReason`. */
  readonly reason: string;

  /**
   * Creates a login-refused error.
   *
   * @param reason The server's words, made safe to show.
   * @param options The network error behind the close, if any, as `cause`.
   */
  constructor(reason: string, options?: ErrorOptions) {
    super(`Login refused: ${reason}`, { ...options, serverReason: reason });
    this.name = "LoginRefusedError";
    this.reason = reason;
  }
}

/**
 * The server took no data for `writeTimeout` milliseconds while the client had
 * some to write: it has stopped reading, so the client gave up and closed the
 * connection.
 *
 * @example Reading the address and the timeout
 * ```ts
 * import { ConnectionClosedError, WriteTimeoutError } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * const error = new WriteTimeoutError("127.0.0.1:9000", 30_000);
 * assert.ok(error instanceof ConnectionClosedError);
 * assert.equal(
 *   error.message,
 *   "The server at 127.0.0.1:9000 took no data for 30 s; giving up",
 * );
 * ```
 */
export class WriteTimeoutError extends ConnectionClosedError {
  /** The server's address, `host:port`. */
  readonly address: string;
  /** How long the client waited for a write to make progress, in milliseconds. */
  readonly timeout: number;

  /**
   * Creates a write-timeout error.
   *
   * @param address The server's address, `host:port`.
   * @param timeout How long the client waited, in milliseconds.
   */
  constructor(address: string, timeout: number) {
    super(`The server at ${address} took no data for ${timeout / 1000} s; giving up`);
    this.name = "WriteTimeoutError";
    this.address = address;
    this.timeout = timeout;
  }
}

/**
 * A message is larger than the client's `maxMessageSize`, counted in UTF-8 bytes.
 * It was not sent, and the connection stays up: a server would close the
 * connection on such a message.
 *
 * @example Reading the size and the limit
 * ```ts
 * import { MessageTooLargeError } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * const error = new MessageTooLargeError(3001, 3000);
 * assert.ok(error instanceof RangeError);
 * assert.equal(
 *   error.message,
 *   "Message not sent: its size of 3001 bytes exceeds the limit of 3000 bytes",
 * );
 * ```
 */
export class MessageTooLargeError extends RangeError {
  /** The message's size, in UTF-8 bytes. */
  readonly size: number;
  /** The limit, in UTF-8 bytes. */
  readonly limit: number;

  /**
   * Creates a message-too-large error.
   *
   * @param size The message's size, in UTF-8 bytes.
   * @param limit The limit, in UTF-8 bytes.
   */
  constructor(size: number, limit: number) {
    super(`Message not sent: its size of ${size} bytes exceeds the limit of ${limit} bytes`);
    this.name = "MessageTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

// Deno's error classes, by name, and how they read in a sentence.
const NETWORK_ERRORS: Record<string, string> = {
  AddrNotAvailable: "address not available",
  BrokenPipe: "broken pipe",
  ConnectionAborted: "connection aborted",
  ConnectionRefused: "connection refused",
  ConnectionReset: "connection reset",
  HostUnreachable: "host unreachable",
  NetworkUnreachable: "network unreachable",
  NotConnected: "not connected",
  PermissionDenied: "permission denied",
  NotCapable: "no network permission (run with --allow-net)",
  TimedOut: "timed out",
};

/**
 * A network error as the tail of a sentence: `connection refused`, `host not
 * found`, `the server's certificate is not trusted (UnknownIssuer)`; otherwise
 * its message, without Deno's `(os error N)`.
 *
 * @param error What Deno threw.
 * @returns A short lower-case description.
 */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const known = NETWORK_ERRORS[error.name];
  if (known !== undefined) return known;
  const tls = describeTlsError(error);
  if (tls !== undefined) return tls;
  // Name resolution failures are plain errors; only their message tells.
  if (/lookup address|Name or service not known|No address associated/i.test(error.message)) {
    return "host not found";
  }
  const message = error.message.replace(/\s*\(os error \d+\)$/, "");
  return message.charAt(0).toLowerCase() + message.slice(1);
}

// What a TLS client sees when the handshake fails: Deno throws InvalidData with
// rustls's words, or UnexpectedEof when the server hangs up during the handshake.
function describeTlsError(error: Error): string | undefined {
  if (error instanceof Deno.errors.UnexpectedEof) {
    return "the server closed the connection during the TLS handshake";
  }
  if (!(error instanceof Deno.errors.InvalidData)) return undefined;
  const message = error.message;
  const name = /certificate not valid for name "([^"]*)"/.exec(message)?.[1];
  if (name !== undefined) {
    const valid = [...(/only valid for (.*)$/.exec(message)?.[1] ?? "").matchAll(/"([^"]*)"/g)]
      .map((match) => match[1]);
    return `the server's certificate is not valid for the name '${name}'` +
      (valid.length > 0 ? ` (it is for ${valid.join(", ")})` : "");
  }
  if (/invalid peer certificate: (UnknownIssuer|BadSignature)/.test(message)) {
    return `the server's certificate is not trusted (${message.replace(/^.*: /, "")})`;
  }
  if (/invalid peer certificate: Expired/.test(message)) {
    return "the server's certificate has expired";
  }
  if (/invalid peer certificate: NotValidYet/.test(message)) {
    return "the server's certificate is not valid yet";
  }
  if (/invalid peer certificate/.test(message)) {
    return `the server's certificate is refused (${
      message.replace(/^invalid peer certificate: /, "")
    })`;
  }
  if (/InvalidContentType/.test(message)) {
    return "the server does not speak TLS (is this its plain port?)";
  }
  const alert = /received fatal alert: (\w+)/.exec(message)?.[1];
  if (alert !== undefined) return `the server refused the TLS handshake (${alert})`;
  return undefined;
}
