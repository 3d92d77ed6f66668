import assert from "node:assert/strict";
import { ClientDecoder, encodeString, ProtocolError, ServerDecoder } from "../../mod.ts";
import { concat, randomSplit } from "../support/chunks.ts";
import { Random, testSeed } from "../support/random.ts";

/** Runs `decode`, allowing only success or the codec's own error. */
function survives(decode: () => void, seed: number): void {
  try {
    decode();
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `seed ${seed}: ${error}`);
  }
}

Deno.test("decoders fed random bytes in random splits fail only with ProtocolError", () => {
  const random = new Random(testSeed());
  for (let round = 0; round < 3000; round++) {
    // Mostly plausible frames with random damage, sometimes pure noise.
    const wire = random.int(4) === 0 ? random.bytes(random.int(200)) : concat([
      encodeString("u" + random.int(100)),
      new Uint8Array([0, 0, 0, random.int(40)]),
      random.bytes(random.int(60)),
    ]);
    const chunks = randomSplit(wire, random, 1 + random.int(32));
    survives(() => {
      const server = new ServerDecoder({ login() {}, message() {} }, { maxMessageSize: 50 });
      for (const chunk of chunks) server.push(chunk);
      server.end();
    }, random.seed);
    survives(() => {
      const client = new ClientDecoder(() => {}, { maxStringSize: 100 });
      for (const chunk of chunks) client.push(chunk);
      client.end();
    }, random.seed);
  }
});
