#!/usr/bin/env -S deno run --allow-net --allow-run
/**
 * The write paths a fan-out could take, measured side by side on this machine:
 * one process writes the same batches of 64-byte frames to many sockets, another
 * reads them all, and the writer's rate is reported.
 *
 * | path          | one batch to one member                                       |
 * | ------------- | ------------------------------------------------------------- |
 * | `deno`        | `Deno.Conn.write` of the batch, one buffer (what the room does) |
 * | `node`        | `node:net` `socket.write` of the batch, one buffer             |
 * | `node-cork`   | `node:net`: `cork()`, one `write` per frame, `uncork()` (writev) |
 * | `deno-frames` | `Deno.Conn.write` per frame (no batching: the floor of batching) |
 *
 * ```sh
 * deno run --allow-net --allow-run bench/write_paths.ts [--members 1000] [--batches 200] [--batch 1,4,16]
 * ```
 *
 * @module
 */

import net from "node:net";
import { Buffer } from "node:buffer";
import process from "node:process";
import { errorMessage } from "../cli/error_message.ts";
import { integerValue, parseFlags } from "../cli/flags.ts";

const FRAME_SIZE = 64;
const PATHS = ["deno", "node", "node-cork", "deno-frames"] as const;
type Path = typeof PATHS[number];

/** One path's result. */
export interface WritePathResult {
  /** The path. */
  path: Path;
  /** Frames per batch. */
  batch: number;
  /** Frames delivered per second, every member counted. */
  framesPerS: number;
  /** Write calls per second. */
  writesPerS: number;
  /** The writer's CPU seconds per million frames. */
  cpuSPerMillion: number;
}

// The reading side: connects `members` sockets to `port` and reads until each has
// `bytes` bytes, then prints "done".
async function sink(port: number, members: number, bytes: number): Promise<void> {
  const conns = await Promise.all(
    Array.from({ length: members }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  console.log("connected");
  await Promise.all(conns.map(async (conn) => {
    const buffer = new Uint8Array(64 * 1024);
    let left = bytes;
    while (left > 0) {
      const read = await conn.read(buffer);
      if (read === null) throw new Error("closed early");
      left -= read;
    }
    conn.close();
  }));
  console.log("done");
}

function batchOf(frames: number): Uint8Array {
  const bytes = new Uint8Array(frames * FRAME_SIZE);
  for (let i = 0; i < frames; i++) {
    new DataView(bytes.buffer).setUint32(i * FRAME_SIZE, FRAME_SIZE - 4);
  }
  return bytes;
}

// Writes `batches` batches to every socket; resolves when all is written.
async function writeDeno(conns: Deno.Conn[], batch: Uint8Array, batches: number, split: boolean) {
  let writes = 0;
  const frames = split
    ? Array.from(
      { length: batch.length / FRAME_SIZE },
      (_, i) => batch.subarray(i * FRAME_SIZE, (i + 1) * FRAME_SIZE),
    )
    : [batch];
  await Promise.all(conns.map(async (conn) => {
    for (let b = 0; b < batches; b++) {
      for (const frame of frames) {
        for (let at = 0; at < frame.length;) {
          at += await conn.write(frame.subarray(at));
          writes++;
        }
      }
    }
  }));
  return writes;
}

async function writeNode(sockets: net.Socket[], batch: Uint8Array, batches: number, cork: boolean) {
  let writes = 0;
  const whole = Buffer.from(batch);
  const frames = Array.from(
    { length: batch.length / FRAME_SIZE },
    (_, i) => whole.subarray(i * FRAME_SIZE, (i + 1) * FRAME_SIZE),
  );
  await Promise.all(sockets.map(async (socket) => {
    for (let b = 0; b < batches; b++) {
      let flowing: boolean;
      if (cork) {
        socket.cork();
        for (const frame of frames) socket.write(frame);
        socket.uncork();
        flowing = !socket.writableNeedDrain;
      } else {
        flowing = socket.write(whole);
      }
      writes++;
      if (!flowing) await new Promise((resolve) => socket.once("drain", resolve));
    }
  }));
  return writes;
}

function cpuS(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function startSink(port: number, members: number, bytes: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      new URL(import.meta.url).pathname,
      "--sink",
      String(port),
      String(members),
      String(bytes),
    ],
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const waitFor = async (word: string) => {
    while (!text.includes(word)) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the sink ended before "${word}"`);
      text += value;
    }
  };
  return { child, waitFor };
}

// Runs `write` until the sink has every byte: the writes made, the seconds, the CPU.
async function timed(
  sink: ReturnType<typeof startSink>,
  write: () => Promise<number>,
): Promise<{ writes: number; seconds: number; cpu: number }> {
  const cpu0 = cpuS();
  const start = performance.now();
  const writes = await write();
  await sink.waitFor("done");
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuS() - cpu0;
  await sink.child.status;
  return { writes, seconds, cpu };
}

/**
 * Measures one path: `members` sockets, `batches` batches of `batch` frames each.
 * Requires `--allow-net` and `--allow-run`.
 */
export async function measureWritePath(
  path: Path,
  members: number,
  batches: number,
  batch: number,
): Promise<WritePathResult> {
  const bytes = batches * batch * FRAME_SIZE;
  const frames = batchOf(batch);
  let writes: number;
  let seconds: number;
  let cpu: number;
  if (path === "node" || path === "node-cork") {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const sink = startSink(port, members, bytes);
    await sink.waitFor("connected");
    while (sockets.length < members) await new Promise((resolve) => setTimeout(resolve, 5));
    ({ writes, seconds, cpu } = await timed(
      sink,
      () => writeNode(sockets, frames, batches, path === "node-cork"),
    ));
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  } else {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const sink = startSink(listener.addr.port, members, bytes);
    const conns: Deno.Conn[] = [];
    while (conns.length < members) {
      const conn = await listener.accept();
      conn.setNoDelay(true);
      conns.push(conn);
    }
    await sink.waitFor("connected");
    ({ writes, seconds, cpu } = await timed(
      sink,
      () => writeDeno(conns, frames, batches, path === "deno-frames"),
    ));
    for (const conn of conns) conn.close();
    listener.close();
  }
  const delivered = members * batches * batch;
  return {
    path,
    batch,
    framesPerS: delivered / seconds,
    writesPerS: writes / seconds,
    cpuSPerMillion: cpu / delivered * 1e6,
  };
}

const USAGE = `Measures the write paths a fan-out could take (see the module's doc).

USAGE:
  deno run --allow-net --allow-run bench/write_paths.ts [options]

OPTIONS:
  --members N   sockets written to (1000)
  --batches N   batches written to each (200)
  --batch LIST  frames per batch, comma-separated (1,4,16)
  -h, --help    print this help`;

async function main(): Promise<number> {
  if (Deno.args[0] === "--sink") {
    const [port, members, bytes] = Deno.args.slice(1).map(Number);
    await sink(port!, members!, bytes!);
    return 0;
  }
  let members: number;
  let batches: number;
  let sizes: number[];
  try {
    const { values, positionals } = parseFlags(
      Deno.args,
      {
        members: { type: "string" },
        batches: { type: "string" },
        batch: { type: "string" },
        help: { type: "boolean", short: "h" },
      } as const,
    );
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new RangeError(`unexpected argument "${positionals[0]}"`);
    members = integerValue("members", values.members ?? "1000", 1, 15000);
    batches = integerValue("batches", values.batches ?? "200", 1, 100000);
    sizes = (values.batch ?? "1,4,16").split(",").map((size) =>
      integerValue("batch", size, 1, 1024)
    );
  } catch (error) {
    console.error(`write_paths: ${errorMessage(error)}; try --help`);
    return 1;
  }
  console.log(
    `| path | frames per batch | frames/s | writes/s | writer CPU s per million frames |`,
  );
  console.log(`| --- | --- | --- | --- | --- |`);
  for (const batch of sizes) {
    for (const path of PATHS) {
      if (path === "deno-frames" && batch === 1) continue; // the same as deno
      const result = await measureWritePath(path, members, batches, batch);
      console.log(
        `| ${path} | ${batch} | ${(result.framesPerS / 1e6).toFixed(2)}M | ${
          (result.writesPerS / 1e3).toFixed(0)
        }k | ${result.cpuSPerMillion.toFixed(2)} |`,
      );
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
