/**
 * The TLS door: a TLS listener and its accept loop, which hands each connection to
 * whoever runs the sessions; the certificate can be replaced while it runs.
 *
 * `accept()` gives a `Deno.TlsConn` before the handshake: the handshake runs on the
 * connection's first read or write. The door never awaits it, so that a client
 * that never finishes its handshake holds no one up; the session's first read
 * carries the handshake, and the login deadline covers it. A client that speaks
 * plain TCP to this port, or a handshake that fails, makes that first read reject
 * with `Deno.errors.InvalidData` (`received corrupt message of type
 * InvalidContentType` for plain TCP, `received fatal alert: UnknownCA` when the
 * client does not trust the certificate); a client that hangs up before finishing
 * makes it reject with `Deno.errors.UnexpectedEof`. {@linkcode describeTlsError}
 * turns those into one log line.
 *
 * @module
 */

import { acceptLoop, type Door } from "./door.ts";
import { formatHostPort } from "../../cli/host_port.ts";
import type { LinkOrigin } from "../session/link.ts";
import { errorMessage } from "../../cli/error_message.ts";

/** A certificate chain and its private key, PEM, as `Deno.listenTls` takes them. */
export interface TlsCertifiedKey {
  /** The certificate chain, PEM: the server's certificate first. */
  readonly cert: string;
  /** The private key of the certificate, PEM. */
  readonly key: string;
}

/** Where a {@linkcode TlsDoor} listens, and with which certificate. */
export interface TlsDoorOptions extends TlsCertifiedKey {
  /**
   * The address to listen on.
   *
   * @default {"0.0.0.0"}
   */
  readonly hostname?: string;
  /** The port to listen on; 0 picks a free one. */
  readonly port: number;
}

/** Where a {@linkcode TlsDoor} writes its lines: the server's `Logger` fits. */
export interface TlsDoorLog {
  /** A failure of the door itself, such as `accept` running out of file descriptors. */
  error(message: string): void;
  /** A normal event: listening, a certificate reloaded. */
  info(message: string): void;
}

// The kernel's queue of connections not yet accepted, as the TCP door has it.
const LISTEN_BACKLOG = 4096;
// How long a reload tries to listen again on the port it gave up: 20 × 10 ms.
const REOPEN_ATTEMPTS = 20;
const REOPEN_RETRY_MS = 10;

/**
 * A TLS listener that hands every accepted connection to `onLink`, with its
 * origin (`door: "tls"`). It refuses nobody itself: limits are the caller's.
 * Its accept loop never gives up: when `accept` fails (out of file descriptors,
 * most likely) it logs one line and retries after a delay that doubles up to one
 * second.
 *
 * Requires `--allow-net`.
 *
 * @example Accepting a TLS client
 * ```ts ignore
 * const door = new TlsDoor(
 *   { hostname: "127.0.0.1", port: 9443, ...loadTlsFiles("cert.pem", "key.pem") },
 *   (conn, origin) => startSession(conn, origin),
 *   logger,
 * );
 * Deno.addSignalListener("SIGHUP", async () => {
 *   try {
 *     const { cert, key } = loadTlsFiles("cert.pem", "key.pem");
 *     await door.reload(cert, key);
 *   } catch (error) {
 *     logger.error((error as Error).message);
 *   }
 * });
 * ```
 */
export class TlsDoor implements Door, AsyncDisposable {
  /** The door's name. */
  readonly name = "tls";
  /** The address the door listens on (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  readonly #onLink: (conn: Deno.TlsConn, origin: LinkOrigin) => void;
  readonly #log: TlsDoorLog;
  readonly #where: string;
  #accepting: Door | undefined;
  #certifiedKey: TlsCertifiedKey;
  #closing = false;
  // Reloads run one after the other.
  #reloads: Promise<unknown> = Promise.resolve();

  /**
   * Starts listening.
   *
   * @param options Where to listen, the certificate and its key.
   * @param onLink Receives each accepted connection, its handshake not done yet;
   * it owns the connection from then on. It must not throw.
   * @param log Where the door writes its lines.
   * @throws {Error} With a one-line message when the certificate or the key is
   * not usable, or they do not match.
   * @throws {Deno.errors.AddrInUse} When the port is taken.
   */
  constructor(
    options: TlsDoorOptions,
    onLink: (conn: Deno.TlsConn, origin: LinkOrigin) => void,
    log: TlsDoorLog,
  ) {
    this.#onLink = onLink;
    this.#log = log;
    this.#certifiedKey = { cert: options.cert, key: options.key };
    const listener = listen(options.hostname ?? "0.0.0.0", options.port, this.#certifiedKey);
    this.addr = listener.addr;
    this.#where = formatHostPort(this.addr.hostname, this.addr.port);
    this.#accepting = this.#accept(listener);
    this.#log.info(`listening on ${this.#where} (TLS)`);
  }

  /**
   * Replaces the certificate: the pair is checked first, then the listener is
   * closed and re-opened on the same address with it. Connections already
   * accepted keep theirs; new ones get the new certificate. A client that
   * connects during the re-opening (a few milliseconds) may be refused. Calls
   * run one after the other.
   *
   * @param cert The new certificate chain, PEM.
   * @param key Its private key, PEM.
   * @returns A promise that resolves once the new listener is open.
   * @throws {Error} With a one-line message when the new pair is not usable: the
   * door then keeps listening with the old certificate, untouched.
   */
  reload(cert: string, key: string): Promise<void> {
    const reload = this.#reloads.then(() => this.#reload(cert, key));
    this.#reloads = reload.catch(() => {});
    return reload;
  }

  async #reload(cert: string, key: string): Promise<void> {
    if (this.#closing) {
      throw new Error("Cannot reload the TLS certificate: the TLS door is closed");
    }
    checkTlsPair(cert, key); // throws before the old listener is touched
    const old = this.#accepting;
    this.#accepting = undefined;
    // The port is free once the pending accept has let go of the socket.
    await old?.close();
    const { hostname, port } = this.addr;
    try {
      this.#accepting = this.#accept(await listenAgain(hostname, port, { cert, key }));
    } catch (error) {
      // The pair was good, so the address is the problem: go back to the old pair.
      try {
        this.#accepting = this.#accept(await listenAgain(hostname, port, this.#certifiedKey));
      } catch {
        this.#closing = true; // nothing left to listen on
        throw new Error(
          `Cannot re-open the TLS listener on ${this.#where}: ${oneLine(error)}; ` +
            "the TLS door is closed",
        );
      }
      throw new Error(
        `Cannot re-open the TLS listener on ${this.#where} with the new certificate: ` +
          `${oneLine(error)}; it listens with the old one`,
      );
    }
    this.#certifiedKey = { cert, key };
    this.#log.info(`TLS certificate reloaded on ${this.#where}`);
  }

  /**
   * Stops listening. Connections already handed over are not touched.
   *
   * @returns A promise that resolves once the accept loop has ended.
   */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#reloads;
    const accepting = this.#accepting;
    this.#accepting = undefined;
    await accepting?.close();
  }

  /** Closes the door: `await using door = new TlsDoor(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #accept(listener: Deno.TlsListener): Door {
    return acceptLoop(
      listener,
      "tls",
      this.#onLink,
      (line) => this.#log.error(line),
    );
  }
}

// One listener and its accept loop.

// Listens on an address just given up: the system may hold it for a moment yet.
async function listenAgain(
  hostname: string,
  port: number,
  pair: TlsCertifiedKey,
): Promise<Deno.TlsListener> {
  for (let attempt = 1;; attempt++) {
    try {
      return listen(hostname, port, pair);
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse) || attempt === REOPEN_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, REOPEN_RETRY_MS));
    }
  }
}

function listen(hostname: string, port: number, pair: TlsCertifiedKey): Deno.TlsListener {
  try {
    return Deno.listenTls({
      hostname,
      port,
      cert: pair.cert,
      key: pair.key,
      tcpBacklog: LISTEN_BACKLOG,
    });
  } catch (error) {
    const problem = describePairError(error);
    if (problem === undefined) throw error;
    throw new Error(`Invalid TLS certificate or key: ${problem}`, { cause: error });
  }
}

// What Deno says of a bad pair, as the tail of a sentence; undefined for other errors.
function describePairError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const message = oneLine(error);
  if (/No certificates found/i.test(message)) return "no PEM certificate in the certificate";
  if (/No keys found/i.test(message)) return "no PEM private key in the key";
  if (/KeyMismatch|keys may not be consistent/i.test(message)) {
    return "the key does not match the certificate";
  }
  if (error instanceof Deno.errors.InvalidData) return message;
  return undefined;
}

/**
 * Checks that a certificate and a key make a pair a TLS listener can use, by
 * opening one on `127.0.0.1`, port 0, and closing it at once. When the network
 * permission does not allow that, the check is left to the real listener.
 *
 * Requires `--allow-net`.
 *
 * @param cert The certificate chain, PEM.
 * @param key The private key, PEM.
 * @throws {Error} With a one-line message (`Invalid TLS certificate or key: the
 * key does not match the certificate`) when they do not.
 */
export function checkTlsPair(cert: string, key: string): void {
  let probe: Deno.TlsListener;
  try {
    probe = listen("127.0.0.1", 0, { cert, key });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return;
    }
    if (error instanceof Error && error.message.startsWith("Invalid TLS")) throw error;
    return; // no loopback to probe on: the real listener will say
  }
  probe.close();
}

/**
 * Reads a certificate and its key from PEM files and checks that they make a
 * usable pair, for a server that starts or reloads.
 *
 * Requires `--allow-read` for the two files, and `--allow-net` for the check.
 *
 * @example Telling the operator what is wrong
 * ```ts ignore
 * try {
 *   const { cert, key } = loadTlsFiles("cert.pem", "key.pem");
 * } catch (error) {
 *   console.error((error as Error).message); // Cannot read TLS key 'key.pem': no such file
 *   Deno.exit(1);
 * }
 * ```
 *
 * @param certPath The certificate chain's file, PEM.
 * @param keyPath The private key's file, PEM.
 * @returns The two PEM texts.
 * @throws {Error} With a one-line message when a file cannot be read, holds no
 * PEM certificate or key, or the key does not match the certificate.
 */
export function loadTlsFiles(certPath: string, keyPath: string): TlsCertifiedKey {
  const cert = readPem(certPath, "certificate");
  const key = readPem(keyPath, "key");
  try {
    checkTlsPair(cert, key);
  } catch (error) {
    const detail = (error as Error).message.replace(/^Invalid TLS certificate or key: /, "");
    throw new Error(`Invalid TLS files '${certPath}' and '${keyPath}': ${detail}`, {
      cause: error,
    });
  }
  return { cert, key };
}

function readPem(path: string, what: "certificate" | "key"): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`Cannot read TLS ${what} '${path}': ${describeReadError(error)}`, {
      cause: error,
    });
  }
  const marker = what === "certificate"
    ? /-----BEGIN CERTIFICATE-----/
    : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  if (!marker.test(text)) {
    throw new Error(`Invalid TLS ${what} '${path}': it holds no PEM ${what}`);
  }
  return text;
}

function describeReadError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (error instanceof Deno.errors.NotCapable) return "no read permission: add --allow-read";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.InvalidData) return "it is not text (UTF-8)";
  return oneLine(error);
}

// Fatal TLS alerts that mean the client refused the server's certificate.
const CERTIFICATE_ALERTS = new Set([
  "BadCertificate",
  "CertificateExpired",
  "CertificateRevoked",
  "CertificateUnknown",
  "UnknownCA",
  "UnsupportedCertificate",
]);

/**
 * The log line for an error from the first reads of a TLS connection, when it
 * is a TLS failure: a client that speaks plain TCP to the TLS port, a client
 * that refuses the certificate, a client that hangs up during the handshake.
 * Other errors (and errors of plain TCP connections, which never read as TLS
 * failures) give `undefined`.
 *
 * @example Plain TCP sent to the TLS port
 * ```ts
 * import { describeTlsError } from "./tls_door.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new Deno.errors.InvalidData("received corrupt message of type InvalidContentType");
 * assert.equal(
 *   describeTlsError(error),
 *   "TLS handshake failed: the client does not speak TLS (received corrupt message of type InvalidContentType)",
 * );
 * assert.equal(describeTlsError(new Deno.errors.ConnectionReset("reset")), undefined);
 * ```
 *
 * @param error What a read of a TLS connection threw.
 * @returns One line, `TLS handshake failed: ...`, or `undefined`.
 */
export function describeTlsError(error: unknown): string | undefined {
  if (error instanceof Deno.errors.UnexpectedEof) {
    return "TLS handshake failed: the client closed the connection before the end of the " +
      "handshake (or without closing TLS)";
  }
  if (!(error instanceof Deno.errors.InvalidData)) return undefined;
  const message = oneLine(error);
  if (/InvalidContentType/.test(message)) {
    return `TLS handshake failed: the client does not speak TLS (${message})`;
  }
  const alert = /received fatal alert: (\w+)/.exec(message)?.[1];
  if (alert !== undefined && CERTIFICATE_ALERTS.has(alert)) {
    return `TLS handshake failed: the client refused the server's certificate (${alert})`;
  }
  return `TLS handshake failed: ${message}`;
}

function oneLine(error: unknown): string {
  const message = errorMessage(error);
  return message.replace(/\s*\(os error \d+\)$/, "").replace(/\s+/g, " ").trim();
}
