/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) as the accounts extension carries it in the
 * seed's own frames: the login is the marker {@linkcode SCRAM_LOGIN}, the
 * client's SCRAM messages follow as ordinary messages, and the server's come back
 * as frames from `*`. Pure: WebCrypto only, no I/O. The password is normalised
 * with NFKC (SASLprep's mapping, without its refusals).
 *
 * @module
 */

/** The login that starts an authentication: a seed server takes it as an ordinary name. */
export const SCRAM_LOGIN = "*scram-sha-256";

/** The fewest PBKDF2 iterations a client accepts, and the server stores. */
export const MIN_ITERATIONS = 600_000;

/** The longest SCRAM message either side accepts, in UTF-16 code units. */
export const MAX_SCRAM_MESSAGE = 512;

const encoder = new TextEncoder();

/** What the server stores for an account: nothing in it logs in by itself. */
export interface ScramVerifier {
  /** The salt, random per account. */
  readonly salt: Uint8Array;
  /** The PBKDF2 iteration count. */
  readonly iterations: number;
  /** H(ClientKey). */
  readonly storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key"). */
  readonly serverKey: Uint8Array;
}

async function hmac(key: Uint8Array, data: Uint8Array | string): Promise<Uint8Array> {
  const imported = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(
    await crypto.subtle.sign("HMAC", imported, bytes as Uint8Array<ArrayBuffer>),
  );
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}

async function saltedPassword(
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password.normalize("NFKC")),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Compares two byte strings in time that depends on their length only.
 *
 * @example
 * ```ts
 * import { constantTimeEqual } from "./scram.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
 * assert.ok(!constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
 * ```
 *
 * @param a One byte string.
 * @param b The other.
 * @returns Whether they are equal.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false; // lengths are public: 32 bytes here
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Encodes bytes as base64.
 *
 * @param bytes The bytes.
 * @returns Their base64 text.
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Decodes base64, or returns `undefined` when the text is not base64.
 *
 * @param text The base64 text.
 * @returns The bytes, or `undefined`.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * A fresh random nonce: 18 random bytes as base64 (printable, never `,`).
 *
 * @returns The nonce.
 */
export function makeNonce(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(18)));
}

/**
 * Works out the verifier for a password: what the server stores.
 *
 * @example The verifier of RFC 7677's example
 * ```ts
 * import { scramVerifier, toBase64 } from "./scram.ts";
 * import assert from "node:assert/strict";
 *
 * const salt = Uint8Array.from(atob("W22ZaJ0SNY7soEsUEjb6gQ=="), (c) => c.charCodeAt(0));
 * const verifier = await scramVerifier("pencil", { salt, iterations: 4096 });
 * assert.equal(toBase64(verifier.serverKey).length, 44);
 * ```
 *
 * @param password The password.
 * @param options The salt (random by default) and iteration count ({@linkcode MIN_ITERATIONS} by default).
 * @returns The verifier.
 */
export async function scramVerifier(
  password: string,
  options: { salt?: Uint8Array; iterations?: number } = {},
): Promise<ScramVerifier> {
  const salt = options.salt ?? crypto.getRandomValues(new Uint8Array(16));
  const iterations = options.iterations ?? MIN_ITERATIONS;
  const salted = await saltedPassword(password, salt, iterations);
  const clientKey = await hmac(salted, "Client Key");
  return {
    salt,
    iterations,
    storedKey: await sha256(clientKey),
    serverKey: await hmac(salted, "Server Key"),
  };
}

// saslname: "=" and "," escaped as =3D and =2C.
function escapeName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

function unescapeName(name: string): string | undefined {
  if (/=(?!2C|3D)/.test(name)) return undefined;
  return name.replaceAll("=2C", ",").replaceAll("=3D", "=");
}

// The attributes of a SCRAM message (`a=value,b=value`), in order.
function attributes(message: string): Map<string, string> | undefined {
  const found = new Map<string, string>();
  for (const part of message.split(",")) {
    const match = /^([a-zA-Z])=(.*)$/s.exec(part);
    if (match === null || found.has(match[1]!)) return undefined;
    found.set(match[1]!, match[2]!);
  }
  return found;
}

const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/; // printable ASCII but ","

/** A client-first message as the server reads it. */
export interface ClientFirst {
  /** The user name. */
  readonly username: string;
  /** The client's nonce. */
  readonly nonce: string;
  /** The message without its GS2 header, part of the AuthMessage. */
  readonly bare: string;
}

/**
 * Reads a client-first message (`n,,n=<name>,r=<nonce>`): no channel binding, no
 * authorisation identity, no extension.
 *
 * @param message The message.
 * @returns Its parts, or `undefined` when it is not one.
 */
export function parseClientFirst(message: string): ClientFirst | undefined {
  if (message.length > MAX_SCRAM_MESSAGE || !message.startsWith("n,,")) return undefined;
  const bare = message.slice(3);
  const parts = attributes(bare);
  if (parts === undefined || parts.size !== 2 || !bare.startsWith("n=")) return undefined;
  const username = unescapeName(parts.get("n") ?? "");
  const nonce = parts.get("r") ?? "";
  if (username === undefined || username === "" || !NONCE.test(nonce)) return undefined;
  return { username, nonce, bare };
}

/**
 * The server-first message: the combined nonce, the salt, the iteration count.
 *
 * @param verifier The account's verifier.
 * @param clientNonce The client's nonce.
 * @param serverNonce A fresh nonce of the server's, new for every attempt.
 * @returns The message.
 */
export function serverFirst(
  verifier: ScramVerifier,
  clientNonce: string,
  serverNonce: string,
): string {
  return `r=${clientNonce}${serverNonce},s=${toBase64(verifier.salt)},i=${verifier.iterations}`;
}

/**
 * Checks a client-final message against the account's verifier.
 *
 * @param verifier The account's verifier.
 * @param clientFirstBare The client-first message without its header.
 * @param serverFirstMessage The server-first message sent.
 * @param clientFinal The client-final message received.
 * @returns The server-final message (`v=...`) when the proof holds, else `undefined`.
 */
export async function checkClientFinal(
  verifier: ScramVerifier,
  clientFirstBare: string,
  serverFirstMessage: string,
  clientFinal: string,
): Promise<string | undefined> {
  if (clientFinal.length > MAX_SCRAM_MESSAGE) return undefined;
  const parts = attributes(clientFinal);
  const nonce = attributesOf(serverFirstMessage).get("r");
  if (
    parts === undefined || parts.size !== 3 || parts.get("c") !== "biws" ||
    parts.get("r") !== nonce || !clientFinal.startsWith("c=biws,r=")
  ) {
    return undefined;
  }
  const proof = fromBase64(parts.get("p") ?? "");
  if (proof === undefined || proof.length !== 32) return undefined;
  const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(",p="));
  const authMessage = `${clientFirstBare},${serverFirstMessage},${withoutProof}`;
  const clientSignature = await hmac(verifier.storedKey, authMessage);
  const clientKey = xor(proof, clientSignature);
  if (!constantTimeEqual(await sha256(clientKey), verifier.storedKey)) return undefined;
  return `v=${toBase64(await hmac(verifier.serverKey, authMessage))}`;
}

function attributesOf(message: string): Map<string, string> {
  return attributes(message) ?? new Map();
}

/** Why a client refuses a challenge. */
export class ScramError extends Error {
  override name = "ScramError";
}

/**
 * The client's side of one authentication.
 *
 * @example Against RFC 7677's example
 * ```ts
 * import { ScramClient } from "./scram.ts";
 * import assert from "node:assert/strict";
 *
 * const client = new ScramClient("user", { nonce: "rOprNGfwEbeRWgbNEkqO", minIterations: 4096 });
 * assert.equal(client.first, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
 * const final = await client.final(
 *   "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
 *   "pencil",
 * );
 * assert.equal(
 *   final,
 *   "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," +
 *     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
 * );
 * assert.ok(client.verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
 * ```
 */
export class ScramClient {
  /** The client-first message. */
  readonly first: string;
  readonly #nonce: string;
  readonly #minIterations: number;
  #serverSignature: Uint8Array | undefined;

  /**
   * @param username The user name.
   * @param options A nonce (fresh by default) and the fewest iterations accepted
   * ({@linkcode MIN_ITERATIONS} by default).
   */
  constructor(username: string, options: { nonce?: string; minIterations?: number } = {}) {
    this.#nonce = options.nonce ?? makeNonce();
    this.#minIterations = options.minIterations ?? MIN_ITERATIONS;
    this.first = `n,,n=${escapeName(username)},r=${this.#nonce}`;
  }

  /**
   * Checks a challenge (server-first message) without the password: it must echo
   * this client's nonce and ask for at least the minimum of iterations.
   *
   * @param challenge The server-first message.
   * @returns The salt and the iteration count.
   * @throws {ScramError} When the challenge is not acceptable.
   */
  check(challenge: string): { salt: Uint8Array; iterations: number } {
    const parts = attributes(challenge);
    const nonce = parts?.get("r");
    const salt = fromBase64(parts?.get("s") ?? "");
    const iterationText = parts?.get("i") ?? "";
    if (
      parts === undefined || nonce === undefined || salt === undefined || salt.length === 0 ||
      !/^[1-9][0-9]{0,9}$/.test(iterationText) || !challenge.startsWith("r=")
    ) {
      throw new ScramError("Not a SCRAM challenge");
    }
    if (
      !nonce.startsWith(this.#nonce) || nonce.length === this.#nonce.length || !NONCE.test(nonce)
    ) {
      throw new ScramError("The challenge does not echo this client's nonce");
    }
    const iterations = Number(iterationText);
    if (iterations < this.#minIterations) {
      throw new ScramError(
        `The server asks for ${iterations} iterations, fewer than the minimum of ${this.#minIterations}`,
      );
    }
    return { salt, iterations };
  }

  /**
   * The client-final message, with its proof.
   *
   * @param challenge The server-first message.
   * @param password The password.
   * @returns The client-final message.
   * @throws {ScramError} When the challenge is not acceptable.
   */
  async final(challenge: string, password: string): Promise<string> {
    const { salt, iterations } = this.check(challenge);
    const nonce = attributesOf(challenge).get("r")!;
    const salted = await saltedPassword(password, salt, iterations);
    const clientKey = await hmac(salted, "Client Key");
    const storedKey = await sha256(clientKey);
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.first.slice(3)},${challenge},${withoutProof}`;
    const proof = xor(clientKey, await hmac(storedKey, authMessage));
    this.#serverSignature = await hmac(await hmac(salted, "Server Key"), authMessage);
    return `${withoutProof},p=${toBase64(proof)}`;
  }

  /**
   * Checks the server-final message: the server knew the verifier.
   *
   * @param message The server-final message.
   * @returns Whether the server's signature holds.
   */
  verify(message: string): boolean {
    const signature = message.startsWith("v=") ? fromBase64(message.slice(2)) : undefined;
    return signature !== undefined && this.#serverSignature !== undefined &&
      constantTimeEqual(signature, this.#serverSignature);
  }
}
