/**
 * Where the cluster's extra latency goes: one message at a time through a real
 * `nats-server -js` on this machine, measured at each step a node's message takes,
 * with the same client library the nodes use.
 *
 * | step            | what is timed                                                    |
 * | --------------- | ---------------------------------------------------------------- |
 * | core            | a core NATS publish to a subscriber on another connection         |
 * | publish-ack     | a JetStream publish until its acknowledgement (the frame stored)   |
 * | stream-delivery | a JetStream publish until an ordered consumer on another connection has it (a node's path) |
 *
 * ```sh
 * deno run --allow-all bench/jetstream_hop.ts [--messages 2000]
 * ```
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { integerValue, parseFlags } from "../cli/flags.ts";
import { errorMessage } from "../cli/error_message.ts";
import { findNatsServer } from "./targets.ts";

/** Latency percentiles of one step, in microseconds. */
export interface HopStep {
  /** The step. */
  step: "core" | "publish-ack" | "stream-delivery";
  /** Median. */
  p50: number;
  /** 99th percentile. */
  p99: number;
}

function percentiles(step: HopStep["step"], samples: number[]): HopStep {
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { step, p50: at(0.5), p99: at(0.99) };
}

// One message at a time: `send` starts it, and the promise it returns settles when
// it has arrived where the step ends.
async function timeSteps(messages: number, send: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < messages + 100; i++) {
    const start = performance.now();
    await send();
    if (i >= 100) samples.push((performance.now() - start) * 1000); // after a warm-up
  }
  return samples;
}

/**
 * Measures the three steps against the nats-server at `url`.
 * Requires `--allow-net` (and `--allow-env`, `--allow-read`, `--allow-sys` for the client).
 *
 * @param url The server, with JetStream enabled.
 * @param messages Samples per step.
 * @returns The steps' percentiles.
 */
export async function measureHop(url: string, messages: number): Promise<HopStep[]> {
  const a: NatsConnection = await connect({ servers: url });
  const b: NatsConnection = await connect({ servers: url });
  try {
    const payload = new Uint8Array(80);
    // core
    let arrived: (() => void) | undefined;
    const subscription = b.subscribe("hop.core", { callback: () => arrived?.() });
    await b.flush();
    const core = await timeSteps(messages, () =>
      new Promise<void>((resolve) => {
        arrived = resolve;
        a.publish("hop.core", payload);
      }));
    subscription.unsubscribe();
    // publish-ack
    const manager = await jetstreamManager(a);
    await manager.streams.add({ name: "hop", subjects: ["hop.js"] });
    const js = jetstream(a);
    const acked = await timeSteps(messages, () => js.publish("hop.js", payload));
    // stream-delivery: an ordered consumer on the other connection, as a node reads.
    const consumer = await jetstream(b).consumers.get("hop", { deliver_policy: "new" });
    const stream = await consumer.consume({ max_messages: 256 });
    let delivered: (() => void) | undefined;
    const reading = (async () => {
      for await (const _ of stream) delivered?.();
    })();
    const delivery = await timeSteps(messages, () =>
      new Promise<void>((resolve) => {
        delivered = resolve;
        js.publish("hop.js", payload).catch(() => {});
      }));
    await stream.close();
    await reading;
    await manager.streams.delete("hop");
    return [
      percentiles("core", core),
      percentiles("publish-ack", acked),
      percentiles("stream-delivery", delivery),
    ];
  } finally {
    await a.close();
    await b.close();
  }
}

async function main(): Promise<number> {
  let messages: number;
  try {
    const { values } = parseFlags(Deno.args, { messages: { type: "string" } } as const);
    messages = integerValue("messages", values.messages ?? "2000", 10, 1_000_000);
  } catch (error) {
    console.error(`jetstream_hop: ${errorMessage(error)}`);
    return 1;
  }
  const found = findNatsServer();
  if (!("path" in found)) {
    console.error(`jetstream_hop: ${found.reason}`);
    return 1;
  }
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const store = await Deno.makeTempDir({ prefix: "wirechat_hop_" });
  const nats = new Deno.Command(found.path, {
    args: ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0; i < 100; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    console.log("| step | p50 | p99 |\n| --- | --- | --- |");
    for (const step of await measureHop(`nats://127.0.0.1:${port}`, messages)) {
      console.log(`| ${step.step} | ${step.p50.toFixed(0)} µs | ${step.p99.toFixed(0)} µs |`);
    }
    return 0;
  } finally {
    nats.kill();
    await nats.status;
    await Deno.remove(store, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
