/**
 * Micro-benchmarks of the codec. Each benchmark's name ends with the number of
 * frames and bytes one iteration handles, `[frames=N bytes=M]`, from which
 * `codec_report.ts` derives frames/s and bytes/s.
 *
 * @module
 */

import {
  ClientDecoder,
  ClientDecoderStream,
  encodeChatMessage,
  encodeString,
  ServerDecoder,
} from "../mod.ts";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const text64 = "m".repeat(64);
const text3000 = "m".repeat(3000);
const login = encodeString("alice");
const message64 = encodeString(text64);
const message3000 = encodeString(text3000);
const chat64 = encodeChatMessage({ timestamp: 1_700_000_000, username: "alice", text: text64 });
const chat3000 = encodeChatMessage({ timestamp: 1_700_000_000, username: "alice", text: text3000 });
// 64 KiB of 100-byte frames, as a busy socket read delivers them.
const chat100 = encodeChatMessage({
  timestamp: 1_700_000_000,
  username: "alice",
  text: "m".repeat(79),
});
const chunk64k = concat(Array.from({ length: Math.floor(65536 / chat100.length) }, () => chat100));
const message100 = encodeString("m".repeat(96));
const server64k = concat(
  Array.from({ length: Math.floor(65536 / message100.length) }, () => message100),
);

function label(name: string, frames: number, bytes: number): string {
  return `${name} [frames=${frames} bytes=${bytes}]`;
}

let sink = 0;
const serverSink = { login() {}, message: (text: Uint8Array) => void (sink += text.length) };
function loggedInServerDecoder(): ServerDecoder {
  const decoder = new ServerDecoder(serverSink);
  decoder.push(login);
  return decoder;
}

Deno.bench(label("encodeString 64 B", 1, message64.length), { group: "encode" }, () => {
  encodeString(text64);
});
Deno.bench(label("encodeString 3000 B", 1, message3000.length), { group: "encode" }, () => {
  encodeString(text3000);
});
Deno.bench(label("encodeChatMessage 64 B", 1, chat64.length), { group: "encode" }, () => {
  encodeChatMessage({ timestamp: 1_700_000_000, username: "alice", text: text64 });
});
Deno.bench(label("encodeChatMessage 3000 B", 1, chat3000.length), { group: "encode" }, () => {
  encodeChatMessage({ timestamp: 1_700_000_000, username: "alice", text: text3000 });
});

{
  const decoder = loggedInServerDecoder();
  const many = concat(Array.from({ length: 100 }, () => message64));
  Deno.bench(
    label("ServerDecoder 64 B, 1 frame/chunk", 1, message64.length),
    { group: "server" },
    () => {
      decoder.push(message64);
    },
  );
  Deno.bench(
    label("ServerDecoder 64 B, 100 frames/chunk", 100, many.length),
    { group: "server" },
    () => {
      decoder.push(many);
    },
  );
  Deno.bench(label("ServerDecoder 3000 B, 1 frame/chunk", 1, message3000.length), {
    group: "server",
  }, () => {
    decoder.push(message3000);
  });
  Deno.bench(
    label(
      "ServerDecoder 100 B frames, 64 KiB chunks",
      server64k.length / message100.length,
      server64k.length,
    ),
    { group: "server" },
    () => {
      decoder.push(server64k);
    },
  );
}

{
  const decoder = new ClientDecoder(() => {});
  const many = concat(Array.from({ length: 100 }, () => chat64));
  Deno.bench(
    label("ClientDecoder 64 B, 1 frame/chunk", 1, chat64.length),
    { group: "client" },
    () => {
      decoder.push(chat64);
    },
  );
  Deno.bench(
    label("ClientDecoder 64 B, 100 frames/chunk", 100, many.length),
    { group: "client" },
    () => {
      decoder.push(many);
    },
  );
  Deno.bench(
    label("ClientDecoder 3000 B, 1 frame/chunk", 1, chat3000.length),
    { group: "client" },
    () => {
      decoder.push(chat3000);
    },
  );
  Deno.bench(
    label(
      "ClientDecoder 100 B frames, 64 KiB chunks",
      chunk64k.length / chat100.length,
      chunk64k.length,
    ),
    { group: "client", baseline: true },
    () => {
      decoder.push(chunk64k);
    },
  );
  Deno.bench(
    label(
      "ClientDecoderStream 100 B frames, 64 KiB chunks",
      chunk64k.length / chat100.length,
      chunk64k.length,
    ),
    { group: "client" },
    async () => {
      const stream = ReadableStream.from([chunk64k]).pipeThrough(new ClientDecoderStream());
      for await (const _ of stream) sink++;
    },
  );
}
