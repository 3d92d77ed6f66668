/**
 * A terminal client that follows PROTOCOL.md and nothing more, in pipe mode
 * (one line of input per message, one line of output per frame), with a switch
 * for each rule the kit's client cases check: turned on, a fault breaks exactly
 * that rule, so a test can show that its case fails.
 *
 * ```sh
 * deno run --allow-net reference_client.ts [--faults raw,utc] HOST PORT NAME
 * ```
 *
 * @module
 */

/** The faults a reference client can have, by name. */
export const CLIENT_FAULTS = [
  "leSizes",
  "keepNewline",
  "oneMessagePerChunk",
  "charSizes",
  "exitOnEof",
  "dropUnterminated",
  "dropOnClose",
  "printPartial",
  "hangOnClose",
  "neverClose",
  "utc",
  "sloppyClock",
  "ownClock",
  "asciiEscape",
  "oneFramePerRead",
  "oneRead",
  "skipEmpty",
  "raw",
  "rawNames",
  "c0Only",
  "noBidi",
  "keepCr",
  "blockingSend",
] as const;

/** A fault of the reference client. */
export type ClientFault = typeof CLIENT_FAULTS[number];

// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

async function main(args: string[]): Promise<number> {
  let faults = new Set<string>();
  if (args[0] === "--faults") {
    faults = new Set(args[1]!.split(",").filter((f) => f !== ""));
    args = args.slice(2);
  }
  const has = (fault: ClientFault) => faults.has(fault);
  const [host, port, name] = args;
  const conn = await Deno.connect({ hostname: host!, port: Number(port) });
  conn.setNoDelay(true);
  const encoder = new TextEncoder();
  const stdout = (text: string) => Deno.stdout.writeSync(encoder.encode(text));

  const string = (text: string) => {
    const bytes = encoder.encode(text);
    const out = new Uint8Array(4 + bytes.length);
    new DataView(out.buffer).setUint32(
      0,
      has("charSizes") ? text.length : bytes.length,
      has("leSizes"),
    );
    out.set(bytes, 4);
    return out;
  };
  let writing = Promise.resolve();
  const send = (text: string) => {
    const bytes = string(text);
    writing = writing.then(async () => {
      for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    }).catch(() => {});
    return writing;
  };

  send(name!);

  const clock = new Intl.DateTimeFormat("en-GB", {
    hour: has("sloppyClock") ? "numeric" : "2-digit",
    minute: "2-digit",
    hourCycle: has("sloppyClock") ? "h12" : "h23",
    ...(has("utc") ? { timeZone: "UTC" } : {}),
  });
  const escape = (text: string, isName: boolean) => {
    if (has("raw") || (isName && has("rawNames"))) return text;
    let out = text.replace(UNSAFE, (c) => {
      const code = c.codePointAt(0)!;
      if (has("keepCr") && c === "\r") return c;
      if (has("c0Only") && code >= 0x7f) return c;
      if (has("noBidi") && code > 0x9f) return c;
      return `\\u{${code.toString(16)}}`;
    });
    if (has("asciiEscape")) {
      // deno-lint-ignore no-control-regex
      out = out.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
    }
    return out;
  };
  const show = (seconds: number, user: string, text: string) => {
    if (has("skipEmpty") && text === "") return;
    const time = clock.format(has("ownClock") ? new Date() : new Date(seconds * 1000));
    const hhmm = has("sloppyClock") ? time.replace(/\s*[ap]m$/i, "") : time;
    stdout(`<${hhmm}> [${escape(user, true)}] ${escape(text, false)}\n`);
  };

  const decoder = new TextDecoder();
  const receiving = (async () => {
    let buffer: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(65536);
    try {
      while (true) {
        if (has("blockingSend")) await writing;
        const n = await conn.read(chunk);
        if (n === null) break;
        const joined = new Uint8Array(buffer.length + n);
        joined.set(buffer);
        joined.set(chunk.subarray(0, n), buffer.length);
        buffer = has("oneRead") ? chunk.slice(0, n) : joined;
        let at = 0;
        const view = new DataView(buffer.buffer);
        while (buffer.length - at >= 12) {
          const userSize = view.getUint32(at + 8);
          if (buffer.length - at < 16 + userSize) break;
          const textSize = view.getUint32(at + 12 + userSize);
          const end = at + 16 + userSize + textSize;
          if (buffer.length < end) break;
          const seconds = Number(view.getBigUint64(at));
          const user = decoder.decode(buffer.subarray(at + 12, at + 12 + userSize));
          const text = decoder.decode(buffer.subarray(at + 16 + userSize, end));
          at = end;
          if (has("dropOnClose")) {
            // Shows a frame only once more bytes have come after it.
            const next = buffer.length > at;
            if (!next) {
              at -= 16 + userSize + textSize;
              break;
            }
          }
          show(seconds, user, text);
          if (has("oneFramePerRead")) {
            at = buffer.length;
            break;
          }
        }
        buffer = buffer.slice(at);
      }
    } catch {
      // Reset.
    }
    if (has("printPartial") && buffer.length > 16) {
      stdout(`<00:00> [?] ${decoder.decode(buffer.subarray(16))}\n`);
    }
  })();

  const reading = (async () => {
    let pending = "";
    for await (const chunk of Deno.stdin.readable) {
      const text = decoder.decode(chunk, { stream: true });
      if (has("oneMessagePerChunk")) {
        send(text.replace(/\n$/, ""));
        continue;
      }
      pending += text;
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline + (has("keepNewline") ? 1 : 0));
        pending = pending.slice(newline + 1);
        if (has("exitOnEof")) setTimeout(() => send(line), 100);
        else send(line);
      }
    }
    if (has("exitOnEof")) Deno.exit(0);
    if (pending !== "" && !has("dropUnterminated")) send(pending);
  })();

  await Promise.race([receiving, reading.then(() => writing)]);
  if (has("hangOnClose") || has("neverClose")) await new Promise(() => {});
  Deno.exit(0);
}

if (import.meta.main) await main(Deno.args);
