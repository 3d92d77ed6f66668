/**
 * A probe: one chat client in its own process that logs in over TCP, says a
 * numbered line every 20 ms and measures how long each takes to come back, for
 * `seconds`; then prints `{ count, lost, p50, p99, max }` (milliseconds) as JSON.
 *
 * ```sh
 * deno run --allow-net bench/probe_client.ts <port> <seconds>
 * ```
 *
 * @module
 */

import { ClientDecoder } from "../protocol/client_decoder.ts";
import { encodeString } from "../protocol/encode.ts";

const INTERVAL_MS = 20;

async function main(port: number, seconds: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const name = `probe${Deno.pid}`;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const decoder = new ClientDecoder((message) => {
    if (message.username !== name) return;
    const started = sentAt.get(message.text);
    if (started === undefined) return;
    sentAt.delete(message.text);
    latencies.push(performance.now() - started);
  });
  const reading = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const read = await conn.read(buffer).catch(() => null);
      if (read === null) return;
      decoder.push(buffer.subarray(0, read));
    }
  })();
  await conn.write(encodeString(name));
  const end = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < end; i++) {
    const text = `p${i}`;
    sentAt.set(text, performance.now());
    await conn.write(encodeString(text));
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
  }
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the last ones
  conn.close();
  await reading;
  const sorted = latencies.toSorted((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.log(JSON.stringify({
    count: sorted.length,
    lost: sentAt.size,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? 0,
  }));
}

if (import.meta.main) await main(Number(Deno.args[0]), Number(Deno.args[1] ?? 5));
