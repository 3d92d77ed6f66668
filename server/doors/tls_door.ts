/**
 * The TLS door: our own accept loop, then `node:tls` over each connection, so
 * that a handshake that never completes is freed at the login deadline (closing
 * a `Deno.TlsConn` mid-handshake frees nothing). The certificate can be replaced
 * while the door runs, without listening again.
 *
 * The same pieces serve the web door over TLS: {@linkcode TlsContext} and
 * {@linkcode startTls}.
 *
 * @module
 */

import tls from "node:tls";
import {
  acceptLoop,
  closeQuietly,
  type Door,
  type DoorHost,
  isRefusal,
  listenTcp,
  tuneConn,
} from "./door.ts";
import { ConnDuplex, readHead } from "./conn_duplex.ts";
import { checkTlsPair, oneLine, type TlsCertifiedKey } from "./tls_files.ts";
import { TlsLink } from "./tls_link.ts";
import { formatHostPort } from "../../cli/host_port.ts";
import type { LinkOrigin } from "../session/link.ts";
import { voiceFrame } from "../session/voice.ts";

export { checkTlsPair, describeTlsError, loadTlsFiles, type TlsCertifiedKey } from "./tls_files.ts";

/** The first byte of every TLS record that opens a handshake. */
const HANDSHAKE_RECORD = 0x16;
// How long a refused peer is given to finish its handshake and hear why.
const REFUSAL_GRACE_MS = 1000;

/** What a plain client hears on a TLS port, before the door closes. */
export const NOT_TLS_TEXT = "this port speaks TLS: use --tls";

/**
 * The certificate a TLS door serves, as a `node:tls` secure context: a reload
 * makes a new one, which new connections get; connections already open keep
 * theirs.
 *
 * @example A context, and a reload that fails on a broken pair
 * ```ts ignore
 * const context = new TlsContext(loadTlsFiles("cert.pem", "key.pem"));
 * context.reload("not a certificate", "not a key"); // throws, keeps the old pair
 * ```
 */
export class TlsContext {
  #context: tls.SecureContext;

  /**
   * @param pair The certificate and its key, PEM.
   * @throws {Error} With a one-line message when they are not a usable pair.
   */
  constructor(pair: TlsCertifiedKey) {
    this.#context = secureContext(pair);
  }

  /** The secure context for the next connection. */
  get current(): tls.SecureContext {
    return this.#context;
  }

  /**
   * Replaces the certificate for new connections. Requires `--allow-net` for the check.
   *
   * @param cert The certificate chain, PEM.
   * @param key Its private key, PEM.
   * @throws {Error} With a one-line message when the pair is not usable: the old
   * one stays.
   */
  reload(cert: string, key: string): void {
    checkTlsPair(cert, key);
    this.#context = secureContext({ cert, key });
  }
}

function secureContext(pair: TlsCertifiedKey): tls.SecureContext {
  try {
    return tls.createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (error) {
    throw new Error(`Invalid TLS certificate or key: ${oneLine(error)}`, { cause: error });
  }
}

// A TLS record: type, version (2 bytes), length (2 bytes), then at most 16 KiB
// (plus what encryption adds: 2 KiB at most).
const RECORD_HEADER = 5;
const MAX_RECORD = 18 * 1024;

/**
 * Reads the first bytes of a connection to a TLS door: when they open a TLS
 * record, reads on until that whole record (the client's hello) has arrived, so
 * that the costly TLS machinery starts only for a client that sent a whole one;
 * a peer that sends half a hello and stalls costs a pending read until the login
 * deadline, nothing more.
 *
 * @param conn The connection.
 * @returns The bytes read (the first record whole, when it is TLS), or `null`
 * when the peer closed first.
 */
export async function readHello(conn: Deno.Conn): Promise<Uint8Array | null> {
  let head = await readHead(conn);
  while (head !== null && isTlsHandshake(head)) {
    if (head.length >= RECORD_HEADER) {
      const length = (head[3]! << 8) | head[4]!;
      if (length > MAX_RECORD || head.length >= RECORD_HEADER + length) return head;
    }
    const more = await readHead(conn);
    if (more === null) return null;
    const joined = new Uint8Array(head.length + more.length);
    joined.set(head);
    joined.set(more, head.length);
    head = joined;
  }
  return head;
}

/** Whether the first bytes of a connection open a TLS handshake. */
export function isTlsHandshake(head: Uint8Array): boolean {
  return head[0] === HANDSHAKE_RECORD;
}

/**
 * Starts the server side of TLS over an accepted connection whose first bytes
 * were read already.
 *
 * @param conn The connection.
 * @param head Its first bytes.
 * @param context The certificate.
 * @returns The TLS socket, its handshake under way; destroying it closes `conn`.
 */
export function startTls(conn: Deno.Conn, head: Uint8Array, context: TlsContext): tls.TLSSocket {
  const transport = new ConnDuplex(conn, head);
  const socket = new tls.TLSSocket(transport, { isServer: true, secureContext: context.current });
  transports.set(socket, transport);
  return socket;
}

// The stream a TLS socket of startTls runs over.
const transports = new WeakMap<tls.TLSSocket, ConnDuplex>();

/**
 * The {@linkcode ConnDuplex} under a socket from {@linkcode startTls}.
 *
 * @param socket The TLS socket.
 * @returns Its transport.
 */
export function transportOf(socket: tls.TLSSocket): ConnDuplex | undefined {
  return transports.get(socket);
}

/**
 * Tells a refused peer of a TLS door why, inside TLS: waits for its handshake
 * (at most a second), writes `bytes`, and closes. A peer that does not speak TLS
 * gets `plain` (when given) as it is.
 *
 * @param conn The connection refused.
 * @param context The certificate.
 * @param bytes What to say over TLS.
 * @param plain What to say to a peer that does not speak TLS.
 */
export async function refuseOverTls(
  conn: Deno.Conn,
  context: TlsContext,
  bytes: Uint8Array,
  plain?: Uint8Array,
): Promise<void> {
  const timer = setTimeout(() => closeQuietly(conn), REFUSAL_GRACE_MS);
  const head = await readHello(conn);
  if (head === null) {
    clearTimeout(timer);
    closeQuietly(conn);
    return;
  }
  if (!isTlsHandshake(head)) {
    clearTimeout(timer);
    if (plain !== undefined) await conn.write(plain).catch(() => {});
    closeQuietly(conn);
    return;
  }
  clearTimeout(timer);
  const socket = startTls(conn, head, context);
  const deadline = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS);
  socket.on("error", () => {});
  socket.on("close", () => clearTimeout(deadline));
  socket.once("secure", () => socket.end(bytes));
}

/** Where the TLS door listens, and with which certificate. */
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

/** The TLS door: a {@linkcode Door} whose certificate can be replaced. */
export interface TlsDoor extends Door {
  /**
   * Replaces the certificate: connections already accepted keep theirs, new
   * ones get the new one. The door never stops listening.
   *
   * @param cert The new certificate chain, PEM.
   * @param key Its private key, PEM.
   * @returns A promise that resolves once new connections get the new pair.
   * @throws {Error} With a one-line message when the pair is not usable: the old
   * one stays.
   */
  reload(cert: string, key: string): Promise<void>;
}

/**
 * Opens the TLS door. Each accepted connection is admitted at once; its first
 * byte must open a TLS handshake (a plain client hears
 * {@linkcode NOT_TLS_TEXT} in one `*` frame, unencrypted); the handshake runs
 * under the login deadline, which destroys the socket; once it is done the
 * session gets a {@linkcode TlsLink}. A refused peer is told why in one `*`
 * frame over TLS. Requires `--allow-net`.
 *
 * @example A TLS door beside the others
 * ```ts ignore
 * const door = openTlsDoor({ hostname: "0.0.0.0", port: 9443, ...loadTlsFiles(cert, key) }, host);
 * Deno.addSignalListener("SIGHUP", () => door.reload(...Object.values(loadTlsFiles(cert, key))));
 * ```
 *
 * @param options Where to listen, the certificate and its key.
 * @param host The server: admission and sessions.
 * @returns The door, accepting.
 * @throws {Error} With a one-line message when the pair is not usable.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 */
export function openTlsDoor(options: TlsDoorOptions, host: DoorHost): TlsDoor {
  const context = new TlsContext(options);
  const listener = listenTcp(options.hostname ?? "0.0.0.0", options.port);
  const door = acceptLoop(
    listener,
    "tls",
    (conn, origin) => acceptTls(conn, origin, context, host),
    (line) => host.log.error(line),
  );
  const where = formatHostPort(door.addr.hostname, door.addr.port);
  host.log.info(`listening on ${where} (TLS)`);
  return {
    name: door.name,
    addr: door.addr,
    close: () => door.close(),
    reload(cert, key) {
      try {
        context.reload(cert, key);
      } catch (error) {
        return Promise.reject(error);
      }
      host.log.info(`TLS certificate reloaded on ${where}`);
      return Promise.resolve();
    },
  };
}

function acceptTls(conn: Deno.Conn, origin: LinkOrigin, context: TlsContext, host: DoorHost) {
  tuneConn(conn);
  let socket: tls.TLSSocket | undefined;
  let closed = false;
  const admitted = host.admit(origin, () => {
    closed = true;
    if (socket === undefined) closeQuietly(conn);
    else socket.destroy();
  });
  if (isRefusal(admitted)) {
    refuseOverTls(conn, context, voiceFrame(admitted.refused), voiceFrame(admitted.refused));
    return;
  }
  const log = host.log;
  readHello(conn).then((head) => {
    if (head === null || closed) {
      closeQuietly(conn);
      admitted.release();
      return;
    }
    if (!isTlsHandshake(head)) {
      log.repeated("not-tls", "info", `${origin.peer} does not speak TLS: told to use --tls`);
      conn.write(voiceFrame(NOT_TLS_TEXT)).catch(() => {}).finally(() => {
        closeQuietly(conn);
        admitted.release();
      });
      return;
    }
    const secure = socket = startTls(conn, head, context);
    let open = false;
    const failed = (error: Error) => {
      if (open || closed) return;
      log.repeated(
        "tls-handshake",
        "info",
        `${origin.peer} TLS handshake failed: ${oneLine(error)}`,
      );
    };
    secure.on("error", failed);
    secure.once("close", () => {
      if (!open) admitted.release();
    });
    secure.once("secure", () => {
      if (closed) return;
      open = true;
      secure.off("error", failed);
      admitted.open(new TlsLink(secure, { transport: transportOf(secure) }));
    });
  });
}
