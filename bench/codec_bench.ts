/**
 * Micro-benchmarks of the codec, each group against a baseline written the way most
 * people would first write it (`naive_codec.ts`), in the same run. Each benchmark's
 * name ends with the number of frames and bytes one iteration handles,
 * `[frames=N bytes=M]`, from which `codec_report.ts` derives frames/s, bytes/s and
 * the ratio to the group's baseline.
 *
 * @module
 */

import { ClientDecoder, ClientDecoderStream } from "../protocol/client_decoder.ts";
import { encodeChatMessage, encodeString } from "../protocol/encode.ts";
import { ServerDecoder } from "../protocol/server_decoder.ts";
import {
  NaiveChatDecoder,
  naiveEncodeChatMessage,
  naiveEncodeString,
  NaiveStringDecoder,
} from "./naive_codec.ts";

function repeat(frame: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(frame.length * count);
  for (let i = 0; i < count; i++) out.set(frame, i * frame.length);
  return out;
}

function label(name: string, frames: number, bytes: number): string {
  return `${name} [frames=${frames} bytes=${bytes}]`;
}

const TIMESTAMP = 1_700_000_000;
const text64 = "m".repeat(64);
const text3000 = "m".repeat(3000);
const cyrillic = "привет, как дела? ".repeat(4).slice(0, 32); // 64 bytes of UTF-8

// What a server reads: 64 KiB chunks of 100-byte message frames, and single frames.
const message100 = encodeString("m".repeat(96));
const server64k = repeat(message100, Math.floor(65536 / message100.length));
const message64 = encodeString(text64);
const message3000 = encodeString(text3000);
// What a client reads: 64 KiB chunks of 100-byte chat frames, and single frames.
const chat100 = encodeChatMessage({
  timestamp: TIMESTAMP,
  username: "alice",
  text: "m".repeat(79),
});
const client64k = repeat(chat100, Math.floor(65536 / chat100.length));
const chat64 = encodeChatMessage({ timestamp: TIMESTAMP, username: "alice", text: text64 });

let sink = 0;
const serverSink = { login() {}, message: (text: Uint8Array) => void (sink += text.length) };
const serverDecoder = new ServerDecoder(serverSink, { maxUsernameSize: 25, maxMessageSize: 3000 });
serverDecoder.push(encodeString("alice"));
const clientDecoder = new ClientDecoder((message) => void (sink += message.text.length));

const encodeCases: [string, string][] = [["64 B ASCII", text64], ["64 B Cyrillic", cyrillic], [
  "3000 B ASCII",
  text3000,
]];
for (const [name, text] of encodeCases) {
  const bytes = encodeString(text).length;
  const group = `encode string ${name}`;
  Deno.bench(label(`naive: TextEncoder.encode + copy, ${name}`, 1, bytes), {
    group,
    baseline: true,
  }, () => {
    naiveEncodeString(text);
  });
  Deno.bench(label(`encodeString ${name}`, 1, bytes), { group }, () => {
    encodeString(text);
  });
}

{
  const group = "encode chat message 64 B";
  Deno.bench(
    label("naive: TextEncoder + DataView", 1, chat64.length),
    { group, baseline: true },
    () => {
      naiveEncodeChatMessage(TIMESTAMP, "alice", text64);
    },
  );
  Deno.bench(label("encodeChatMessage 64 B", 1, chat64.length), { group }, () => {
    encodeChatMessage({ timestamp: TIMESTAMP, username: "alice", text: text64 });
  });
}

const serverCases: [string, Uint8Array, number][] = [
  ["100 B frames in 64 KiB chunks", server64k, server64k.length / message100.length],
  ["64 B, 1 frame per chunk", message64, 1],
  ["3000 B, 1 frame per chunk", message3000, 1],
];
for (const [name, chunk, frames] of serverCases) {
  const group = `server decode ${name}`;
  const naive = new NaiveStringDecoder(3000);
  Deno.bench(label(`naive: append + slice + TextDecoder, ${name}`, frames, chunk.length), {
    group,
    baseline: true,
  }, () => {
    sink += naive.push(chunk).length;
  });
  Deno.bench(label(`ServerDecoder ${name}`, frames, chunk.length), { group }, () => {
    serverDecoder.push(chunk);
  });
}

const clientCases: [string, Uint8Array, number][] = [
  ["100 B frames in 64 KiB chunks", client64k, client64k.length / chat100.length],
  ["64 B, 1 frame per chunk", chat64, 1],
];
for (const [name, chunk, frames] of clientCases) {
  const group = `client decode ${name}`;
  const naive = new NaiveChatDecoder();
  Deno.bench(label(`naive: append + slice + TextDecoder, ${name}`, frames, chunk.length), {
    group,
    baseline: true,
  }, () => {
    sink += naive.push(chunk).length;
  });
  Deno.bench(label(`ClientDecoder ${name}`, frames, chunk.length), { group }, () => {
    clientDecoder.push(chunk);
  });
  // One long-lived stream, as a connection has: write a chunk, read its frames.
  const stream = new ClientDecoderStream();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  Deno.bench(label(`ClientDecoderStream ${name}`, frames, chunk.length), { group }, async () => {
    const written = writer.write(chunk);
    for (let i = 0; i < frames; i++) sink += (await reader.read()).value!.text.length;
    await written;
  });
}
