/**
 * The throwaway CA and certificates of the TLS tests: the bench's own, which it
 * makes for its TLS server (`bench/tls_certs.ts`).
 *
 * @module
 */

export * from "../../bench/tls_certs.ts";
