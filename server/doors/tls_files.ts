/**
 * The TLS files of a server: reading a certificate and its key, checking that
 * they make a pair, and the words for a failed handshake.
 *
 * @module
 */

import { errorMessage } from "../../cli/error_message.ts";

/** A certificate chain and its private key, PEM. */
export interface TlsCertifiedKey {
  /** The certificate chain, PEM: the server's certificate first. */
  readonly cert: string;
  /** The private key of the certificate, PEM. */
  readonly key: string;
}

// Opens a TLS listener to probe a pair, with Deno's own TLS.
function listen(hostname: string, port: number, pair: TlsCertifiedKey): Deno.TlsListener {
  try {
    return Deno.listenTls({
      hostname,
      port,
      cert: pair.cert,
      key: pair.key,
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
 * import { describeTlsError } from "./tls_files.ts";
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

/** An error's message on one line, without its `(os error N)`. */
export function oneLine(error: unknown): string {
  const message = errorMessage(error);
  return message.replace(/\s*\(os error \d+\)$/, "").replace(/\s+/g, " ").trim();
}
