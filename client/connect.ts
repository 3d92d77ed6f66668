/**
 * Connecting: the TCP connection, the TLS handshake when asked for, then the
 * login, as a {@linkcode ChatClient}.
 *
 * @module
 */

import { DEFAULT_MAX_USERNAME_SIZE } from "../protocol/limits.ts";
import { DEFAULT_PORT, DEFAULT_TLS_PORT } from "../protocol/ports.ts";
import { validateUsername } from "../protocol/username.ts";
import { ChatClient, type ChatClientOptions, markLoggedIn } from "./chat_client.ts";
import { authenticate, type PasswordSource } from "./authenticate.ts";
import { ConnectError } from "./errors.ts";

/**
 * Where to connect, who to be, and the limits: the options of {@linkcode connect}.
 *
 * @example Giving up on a server that does not answer
 * ```ts
 * import { connect, type ConnectOptions } from "@wirechat/wirechat/client";
 * import { serve } from "@wirechat/wirechat/server";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * const options: ConnectOptions = {
 *   hostname: "127.0.0.1",
 *   port: server.addr.port,
 *   username: "bob",
 *   closeTimeout: 500,
 *   signal: AbortSignal.timeout(5000),
 * };
 * await using _client = await connect(options);
 * ```
 */
export interface ConnectOptions extends ChatClientOptions {
  /**
   * The server's host name or IP address.
   *
   * @default {"localhost"}
   */
  hostname?: string;
  /**
   * The server's TCP port.
   *
   * @default {9000, or 9443 with TLS}
   */
  port?: number;
  /**
   * Whether to connect with TLS. The server's certificate is checked against
   * Deno's default root certificates (Mozilla's, or the system's when
   * `DENO_TLS_CA_STORE=system` is set) and the `caCerts`, and must name
   * `hostname`; there is no way to skip that check.
   *
   * @default {false, or true when `caCerts` is given}
   */
  tls?: boolean;
  /**
   * Certificates of authorities to trust besides the default roots, PEM: a
   * private CA, or a test one. Giving them implies `tls: true`.
   */
  caCerts?: string[];
  /** Aborts connecting; once connected, aborting closes the client like `close()`. */
  signal?: AbortSignal;
  /**
   * Logs in to a registered name with its password (the accounts extension,
   * SCRAM-SHA-256): a string, or a function asked only once the server has shown
   * it speaks the extension. Nothing secret reaches a server that does not. Over
   * plain TCP a recorded exchange still allows a dictionary attack: prefer TLS.
   */
  password?: PasswordSource;
  /**
   * With `password`: how long to wait for the server's challenge before deciding
   * it does not speak accounts, in milliseconds.
   *
   * @default {5000}
   */
  challengeTimeout?: number;
}

/**
 * Connects to a chat server and logs in.
 *
 * Requires `--allow-net`.
 *
 * @example Sending a message and receiving it back
 * ```ts
 * import { connect } from "@wirechat/wirechat/client";
 * import { serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * const { port } = server.addr;
 * await using client = await connect({ hostname: "127.0.0.1", port, username: "bob" });
 * await client.send("hello");
 * for await (const message of client) {
 *   assert.equal(message.username, "bob");
 *   assert.equal(message.text, "hello");
 *   break;
 * }
 * ```
 *
 * With `tls` (or `caCerts`), the TLS handshake is completed before `connect`
 * resolves, so that a certificate that does not verify is a
 * {@linkcode ConnectError}: `Cannot connect to localhost:9443: the server's
 * certificate is not trusted (UnknownIssuer)`.
 *
 * @param options Where to connect, the user name and the limits.
 * @returns The client, logged in.
 * @throws {ProtocolError} When the user name is empty, holds a control character
 * or is over `maxUsernameSize`, before connecting.
 * @throws {TypeError} When `caCerts` is given with `tls: false`.
 * @throws {ConnectError} When the connection cannot be made, or the server's
 * certificate does not verify.
 * @throws {AuthenticationError} With `password`: the server does not speak
 * accounts, or its challenge or signature is refused.
 * @throws {LoginRefusedError} With `password`: the server refused (a wrong
 * password, a name not registered), with its words.
 */
export async function connect(options: ConnectOptions): Promise<ChatClient> {
  const tls = options.tls ?? options.caCerts !== undefined;
  if (!tls && options.caCerts !== undefined) {
    throw new TypeError("Cannot use caCerts without TLS: remove tls: false");
  }
  const { hostname = "localhost", port = tls ? DEFAULT_TLS_PORT : DEFAULT_PORT, signal } = options;
  validateUsername(options.username, options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE);
  signal?.throwIfAborted();
  // The signal given to Deno.connect aborts connecting only: once connected,
  // aborting closes the client gracefully, below.
  const connecting = new AbortController();
  const abortConnecting = () => connecting.abort(signal?.reason);
  signal?.addEventListener("abort", abortConnecting, { once: true });
  let conn: Deno.Conn;
  try {
    const tcp = await Deno.connect({ hostname, port, signal: connecting.signal });
    tcp.setNoDelay(true);
    tcp.setKeepAlive(true);
    conn = tls ? await handshake(tcp, hostname, options.caCerts, connecting.signal) : tcp;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new ConnectError(hostname, port, error);
  } finally {
    signal?.removeEventListener("abort", abortConnecting);
  }
  if (options.password !== undefined) {
    try {
      await authenticate(conn, {
        username: options.username,
        password: options.password,
        ...(options.challengeTimeout === undefined
          ? {}
          : { challengeTimeout: options.challengeTimeout }),
      });
    } catch (error) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      throw error;
    }
    markLoggedIn(conn);
  }
  const client = new ChatClient(conn, options);
  if (signal !== undefined) {
    const close = () => void client.close();
    signal.addEventListener("abort", close, { once: true });
    void client.closed.then(() => signal.removeEventListener("abort", close));
  }
  return client;
}

// TLS over a TCP connection, handshake done: Deno.startTls resolves before the
// server's certificate is checked, and a bad one would otherwise show only as the
// first read failing. The TCP connection is closed when this fails.
async function handshake(
  tcp: Deno.TcpConn,
  hostname: string,
  caCerts: string[] | undefined,
  signal: AbortSignal,
): Promise<Deno.TlsConn> {
  let conn: Deno.TlsConn | undefined;
  const close = () => {
    try {
      (conn ?? tcp).close();
    } catch {
      // Already closed, or handed over to startTls.
    }
  };
  signal.addEventListener("abort", close, { once: true });
  try {
    conn = await Deno.startTls(tcp, caCerts === undefined ? { hostname } : { hostname, caCerts });
    signal.throwIfAborted();
    await conn.handshake();
    return conn;
  } catch (error) {
    close();
    throw error;
  } finally {
    signal.removeEventListener("abort", close);
  }
}
