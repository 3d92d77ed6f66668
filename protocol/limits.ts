/**
 * The size limits of the protocol and their defaults.
 *
 * @module
 */

/**
 * Default limit, in UTF-8 bytes, on the user name a client logs in with.
 *
 * @example A login over the limit
 * ```ts
 * import { DEFAULT_MAX_USERNAME_SIZE, validateUsername } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * validateUsername("b".repeat(DEFAULT_MAX_USERNAME_SIZE), DEFAULT_MAX_USERNAME_SIZE);
 * assert.throws(
 *   () => validateUsername("b".repeat(DEFAULT_MAX_USERNAME_SIZE + 1), DEFAULT_MAX_USERNAME_SIZE),
 *   { name: "ProtocolError", code: "SIZE_LIMIT" },
 * );
 * ```
 */
export const DEFAULT_MAX_USERNAME_SIZE = 25;

/**
 * Default limit, in UTF-8 bytes, on each message a client sends.
 *
 * @example Checking a message before sending it
 * ```ts
 * import { DEFAULT_MAX_MESSAGE_SIZE, utf8ByteLength } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * assert.ok(utf8ByteLength("é".repeat(1500)) <= DEFAULT_MAX_MESSAGE_SIZE);
 * assert.ok(utf8ByteLength("é".repeat(1501)) > DEFAULT_MAX_MESSAGE_SIZE); // 2 bytes each
 * ```
 */
export const DEFAULT_MAX_MESSAGE_SIZE = 3000;

/**
 * Default limit, in UTF-8 bytes, on each string a client accepts from a server:
 * generous enough for any sensibly configured server, small enough that a hostile
 * one cannot make a client buffer 4 GiB.
 *
 * @example The default of a client's decoder
 * ```ts
 * import { ClientDecoder, DEFAULT_MAX_INCOMING_SIZE } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const decoder = new ClientDecoder(() => {});
 * const header = new Uint8Array(12); // timestamp 0, then the size of the user name
 * new DataView(header.buffer).setUint32(8, DEFAULT_MAX_INCOMING_SIZE + 1);
 * assert.throws(() => decoder.push(header), { name: "ProtocolError", code: "SIZE_LIMIT" });
 * ```
 */
export const DEFAULT_MAX_INCOMING_SIZE = 16 * 1024 * 1024;

/**
 * The largest value a `size` field can hold on the wire: 2^32 − 1.
 *
 * @example The largest size 4 bytes can say
 * ```ts
 * import { MAX_WIRE_SIZE } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const size = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
 * assert.equal(new DataView(size.buffer).getUint32(0), MAX_WIRE_SIZE);
 * ```
 */
export const MAX_WIRE_SIZE = 0xffff_ffff;

/**
 * The largest timestamp a decoder accepts: 2^53 − 1, the largest integer a
 * JavaScript number holds exactly.
 *
 * @example A timestamp past it is a protocol error
 * ```ts
 * import { ClientDecoder, encodeChatMessage, MAX_TIMESTAMP } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const frame = encodeChatMessage({ timestamp: MAX_TIMESTAMP, username: "bob", text: "hi" });
 * new DataView(frame.buffer).setUint32(0, 0x0020_0000); // 2^53 on the wire
 * const decoder = new ClientDecoder(() => {});
 * assert.throws(() => decoder.push(frame), { name: "ProtocolError", code: "TIMESTAMP_RANGE" });
 * ```
 */
export const MAX_TIMESTAMP: number = Number.MAX_SAFE_INTEGER;
