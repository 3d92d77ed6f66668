#!/usr/bin/env -S deno run --allow-read
/**
 * Decodes a captured byte stream, what a server sent to one client, with the
 * codec's {@linkcode ClientDecoderStream}, and prints each chat message as one
 * line: `2023-11-14T22:13:20Z [alice] hello`, in UTC.
 *
 * ```sh
 * deno run --allow-read examples/decode_capture.ts                # examples/capture.hex
 * deno run --allow-read examples/decode_capture.ts received.bin   # raw bytes
 * ```
 *
 * A file whose name ends in `.hex` is a hex dump: pairs of hex digits, with
 * whitespace and `#` comments anywhere; any other file holds the bytes as they
 * came off the socket. Captured text is untrusted: it is printed through
 * {@linkcode sanitize}, so a control character or a line break cannot reach the
 * terminal. A capture that breaks the protocol (cut off inside a frame, not
 * UTF-8, ...) prints the messages before the fault, then one line on standard
 * error naming it, and exits with status 1.
 *
 * @module
 */

import { type ChatMessage, ClientDecoderStream, ProtocolError } from "@wirechat/wirechat";
import { sanitize } from "@wirechat/wirechat/client";

/**
 * Reads a hex dump: pairs of hex digits; whitespace and comments from `#` to the
 * end of the line are ignored.
 *
 * @param text The dump.
 * @returns The bytes.
 * @throws {SyntaxError} When a line holds something else than hex digits, or a
 * digit without its pair.
 */
export function parseHex(text: string): Uint8Array {
  const digits: string[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    const data = line.replace(/#.*/, "").replace(/\s+/g, "");
    if (!/^[0-9a-fA-F]*$/.test(data)) {
      throw new SyntaxError(`Cannot parse hex dump: line ${index + 1} holds "${data}"`);
    }
    digits.push(data);
  }
  const hex = digits.join("");
  if (hex.length % 2 !== 0) {
    throw new SyntaxError(`Cannot parse hex dump: ${hex.length} digits, an odd number`);
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * One line for a chat message: the time in UTC, the user name, the text, both
 * made safe to print.
 *
 * @param message A decoded message.
 * @returns The line, without a line ending.
 */
export function describe(message: ChatMessage): string {
  const date = new Date(message.timestamp * 1000);
  const time = Number.isNaN(date.getTime())
    ? `${message.timestamp}s`
    : date.toISOString().replace(/\.\d+Z$/, "Z");
  return `${time} [${sanitize(message.username)}] ${sanitize(message.text)}`;
}

async function open(path: string | URL): Promise<ReadableStream<Uint8Array>> {
  if (String(path).endsWith(".hex")) {
    return ReadableStream.from([parseHex(await Deno.readTextFile(path))]);
  }
  return (await Deno.open(path)).readable;
}

const USAGE = "Usage: decode_capture.ts [capture.hex | capture.bin]";

async function main(args: string[]): Promise<number> {
  if (args[0] === "--help" || args[0] === "-h") {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 1 || args[0]?.startsWith("-")) {
    console.error(USAGE);
    return 1;
  }
  const path = args[0] ?? new URL("capture.hex", import.meta.url);
  const name = typeof path === "string" ? path : "capture.hex";
  try {
    const stream = (await open(path)).pipeThrough(new ClientDecoderStream());
    for await (const message of stream) console.log(describe(message));
    return 0;
  } catch (error) {
    if (error instanceof ProtocolError) {
      console.error(`${name}: ${error.message} (${error.code})`);
    } else if (error instanceof Deno.errors.NotFound) {
      console.error(`Cannot read capture: ${name}: no such file`);
    } else {
      console.error(`Cannot read capture: ${name}: ${(error as Error).message}`);
    }
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
