/**
 * The ports a server listens on and a client connects to by default.
 *
 * @module
 */

/**
 * The TCP port of the plain chat protocol, where a server listens and a client
 * connects unless told otherwise.
 *
 * @example The address a client dials by default
 * ```ts
 * import { DEFAULT_PORT } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * assert.equal(`localhost:${DEFAULT_PORT}`, "localhost:9000");
 * ```
 */
export const DEFAULT_PORT = 9000;

/**
 * The TCP port of the chat protocol over TLS, where a server with a certificate
 * opens its TLS door and a client with `tls` connects unless told otherwise.
 *
 * @example The port a TLS client dials by default
 * ```ts
 * import { DEFAULT_PORT, DEFAULT_TLS_PORT } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const tls = true;
 * assert.equal(tls ? DEFAULT_TLS_PORT : DEFAULT_PORT, 9443);
 * ```
 */
export const DEFAULT_TLS_PORT = 9443;
