import assert from "node:assert/strict";
import { type LoadOptions, type LoadResult, runLoad } from "../../check/load/load.ts";
import { startNaiveServer } from "../../bench/naive_server.ts";
import { ServerProcess } from "../../bench/server_process.ts";
import { serve } from "../../server.ts";
import { type Fault, startFaultyServer } from "../support/faulty_server.ts";
import { testCerts } from "../support/tls_certs.ts";
import { defaultServers } from "../../bench/run.ts";
import { LoadProcess } from "../../check/load/load_process.ts";
import { RoundLeader } from "../../check/load/round_leader.ts";

async function loadNaive(options: Omit<LoadOptions, "port">): Promise<LoadResult> {
  const server = startNaiveServer({ hostname: "127.0.0.1", port: 0 });
  try {
    return await runLoad({ durationLimit: 10, ...options, port: server.addr.port });
  } finally {
    await server.close();
  }
}

async function loadFaulty(fault: Fault): Promise<LoadResult> {
  // u2 receives but does not send, so a fault on its side stalls no sender.
  const server = startFaultyServer({ fault, victim: "u2", message: 3 });
  try {
    return await runLoad({
      port: server.addr.port,
      clients: 3,
      senders: 1,
      messages: 10,
      window: 2,
      stallTimeout: 0.3,
      durationLimit: 5,
    });
  } finally {
    await server.close();
  }
}

Deno.test("runLoad counts every delivery from a correct server, with nothing lost", async () => {
  const result = await loadNaive({ clients: 5, senders: 2, messages: 50, size: 64, window: 4 });
  assert.equal(result.stopReason, "done");
  assert.equal(result.messagesSent, 2 * 50);
  assert.equal(result.deliveriesExpected, 5 * 2 * 50);
  assert.equal(result.deliveriesReceived, 5 * 2 * 50);
  assert.equal(result.latencySamples, 5 * 2 * 50);
  assert.equal(result.lost, 0);
  assert.equal(result.orderViolations, 0);
  assert.equal(result.invalidFrames, 0);
  assert.equal(result.disconnects, 0);
  assert.equal(result.ok, true);
  assert.ok(result.deliveriesPerS > 0);
  assert.ok(result.latencyUs.p50 <= result.latencyUs.p99);
  assert.ok(result.latencyUs.p99 <= result.latencyUs.max);
  assert.ok(result.connectS >= result.tcpConnectS);
});

Deno.test("runLoad counts every delivery from wirechat's server, with nothing lost", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
  try {
    const result = await runLoad({
      port: server.addr.port,
      clients: 20,
      senders: 4,
      messages: 50,
      window: 8,
      durationLimit: 10,
    });
    assert.equal(result.deliveriesReceived, 20 * 4 * 50);
    assert.equal(result.ok, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("runLoad gives the same counts through the project's ClientDecoder", async () => {
  const result = await loadNaive({
    clients: 4,
    senders: 3,
    messages: 20,
    size: 100,
    window: 3,
    decoder: "codec",
  });
  assert.equal(result.deliveriesReceived, 4 * 3 * 20);
  assert.equal(result.ok, true);
});

Deno.test("runLoad in ping-pong keeps one message in flight", async () => {
  const result = await loadNaive({ clients: 3, senders: 1, messages: 30, window: 1 });
  assert.equal(result.deliveriesReceived, 3 * 30);
  assert.equal(result.ok, true);
});

Deno.test("runLoad holds logged-in clients and reports the login time", async () => {
  let held = 0;
  const result = await loadNaive({ clients: 50, hold: 0.1, onHold: () => held++ });
  assert.equal(held, 1);
  assert.equal(result.mode, "hold");
  assert.equal(result.senders, 0);
  assert.equal(result.messagesSent, 0);
  assert.equal(result.ok, true);
  assert.ok(result.connectS > 0);
  assert.ok(result.elapsedS >= 0.1);
});

Deno.test("runLoad without sync holds clients that a server never confirms", async () => {
  // Reads and relays nothing: no login can be confirmed.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) conns.push(conn);
  })().catch(() => {});
  try {
    const silent = { port: listener.addr.port, clients: 5, hold: 0.2, durationLimit: 3 };
    const held = await runLoad({ ...silent, sync: false });
    assert.equal(held.stopReason, "done");
    assert.equal(held.ok, true);
    const waited = await runLoad({ ...silent, durationLimit: 1 });
    assert.notEqual(waited.stopReason, "done");
    assert.throws(
      () => runLoad({ port: listener.addr.port, sync: false }),
      /only a hold may skip the sync/,
    );
  } finally {
    listener.close();
    await accepting;
    for (const conn of conns) conn.close();
  }
});

Deno.test("runLoad cut by its duration limit counts nothing that arrives afterwards", async () => {
  // In another process, the server keeps sending while the run closes its connections.
  const server = await ServerProcess.start(defaultServers().naive);
  try {
    const result = await runLoad({
      port: server.port,
      clients: 20,
      senders: 4,
      messages: 1_000_000,
      window: 8,
      // Long enough to log in and deliver something on a busy machine; far too short for all.
      durationLimit: 3,
    });
    assert.equal(result.stopReason, "duration-limit");
    assert.equal(result.completed, false);
    assert.equal(result.invalidFrames, 0);
    assert.equal(result.orderViolations, 0);
    assert.equal(result.disconnects, 0);
    assert.ok(result.deliveriesReceived > 0);
    assert.ok(result.deliveriesReceived <= result.deliveriesExpected);
  } finally {
    await server.stop();
  }
});

Deno.test("runLoad reports a dropped delivery as lost", async () => {
  const result = await loadFaulty("drop");
  assert.equal(result.lost, 1);
  assert.equal(result.deliveriesReceived, 3 * 10 - 1);
  assert.equal(result.stopReason, "stall");
  assert.equal(result.ok, false);
});

Deno.test("runLoad reports a reordered delivery as an order violation", async () => {
  const result = await loadFaulty("reorder");
  assert.equal(result.orderViolations, 1);
  assert.equal(result.lost, 0);
  assert.equal(result.deliveriesReceived, 3 * 10);
  assert.equal(result.stopReason, "done");
  assert.equal(result.ok, false);
});

Deno.test("runLoad reports a corrupted delivery as invalid, and lost", async () => {
  const result = await loadFaulty("corrupt");
  assert.equal(result.invalidFrames, 1);
  assert.equal(result.lost, 1);
  assert.equal(result.ok, false);
});

Deno.test("runLoad reports a connection the server closes as a disconnect", async () => {
  const result = await loadFaulty("disconnect");
  assert.equal(result.disconnects, 1);
  assert.equal(result.stopReason, "done");
  assert.equal(result.ok, false);
});

Deno.test("runLoad reports a refused connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const result = await runLoad({ port, clients: 2, durationLimit: 2 });
  assert.equal(result.stopReason, "connect failed");
  assert.ok(result.connectFailures >= 1);
  assert.equal(result.ok, false);
});

Deno.test("runLoad rejects options out of range", () => {
  assert.throws(() => runLoad({ port: 1, clients: 2, senders: 3 }), RangeError);
  assert.throws(() => runLoad({ port: 1, size: 15 }), RangeError);
  assert.throws(() => runLoad({ port: 1, window: 0 }), RangeError);
  assert.throws(() => runLoad({ port: 0 }), RangeError);
});

/** A second port onto a server: each connection is piped both ways; counts what it accepted. */
function startRelay(
  target: number,
): { port: number; accepted: () => number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pipes: Promise<unknown>[] = [];
  let accepted = 0;
  const accepting = (async () => {
    for await (const inbound of listener) {
      accepted++;
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port: target });
      pipes.push(
        inbound.readable.pipeTo(outbound.writable).catch(() => {}),
        outbound.readable.pipeTo(inbound.writable).catch(() => {}),
      );
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    accepted: () => accepted,
    async close() {
      listener.close();
      await accepting;
      await Promise.allSettled(pipes);
    },
  };
}

Deno.test("runLoad with two ports connects client i to the (i mod 2)-th, as one chat", async () => {
  const server = startNaiveServer({ hostname: "127.0.0.1", port: 0 });
  const relay = startRelay(server.addr.port);
  try {
    const result = await runLoad({
      port: [server.addr.port, relay.port],
      clients: 7,
      senders: 2,
      messages: 30,
      window: 4,
      durationLimit: 10,
    });
    assert.equal(result.ok, true);
    assert.equal(result.deliveriesReceived, 7 * 2 * 30);
    assert.equal(relay.accepted(), 3); // u1, u3, u5
  } finally {
    await server.close();
    await relay.close();
  }
});

Deno.test("runLoad over TLS trusts the CA it is given and checks every delivery", async () => {
  const certs = await testCerts();
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    tlsOnly: true,
    tls: { cert: certs.server.cert, key: certs.server.key, port: 0 },
    logLevel: "error",
  });
  try {
    await server.ready;
    const port = server.addrs.tls!.port;
    const result = await runLoad({
      port,
      tls: { caCerts: [certs.ca] },
      clients: 6,
      senders: 2,
      messages: 40,
      window: 4,
      durationLimit: 10,
    });
    assert.equal(result.ok, true);
    assert.equal(result.deliveriesReceived, 6 * 2 * 40);
    const plain = await runLoad({ port, clients: 4, durationLimit: 3 });
    assert.equal(plain.stopReason, "disconnect during login"); // TLS bytes are no frame
    const wrongCa = await runLoad({
      port,
      tls: { caCerts: [certs.server.cert] },
      clients: 1,
      durationLimit: 3,
    });
    assert.equal(wrongCa.stopReason, "connect failed");
  } finally {
    await server.shutdown();
  }
});

Deno.test("runLoad with a leader: two generators share one chat and report each round all their clients received", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error", maxMessageRate: 0 });
  await using leader = await RoundLeader.connect("127.0.0.1", server.addr.port, "lead");
  const rounds: [number, number][][] = [[], []];
  const end = new AbortController();
  try {
    const runs = [0, 1].map((g) =>
      runLoad({
        port: server.addr.port,
        clients: 12,
        firstIndex: 12 * g,
        leader: "lead",
        hold: 60,
        holdUntil: end.signal,
        durationLimit: 30,
        onRound: (round, atMs) => rounds[g]!.push([round, atMs]),
      })
    );
    // Rounds until both generators have had one that all their clients received.
    while (rounds.some((list) => list.length === 0)) {
      await leader.send();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { round, sentMs } = await leader.send();
    while (rounds.some((list) => list.at(-1)![0] < round)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    end.abort();
    const results = await Promise.all(runs);
    for (const [g, result] of results.entries()) {
      assert.equal(result.mode, "hold");
      assert.equal(result.stopReason, "done");
      assert.equal(result.invalidFrames, 0, `generator ${g}`);
      assert.equal(result.disconnects, 0);
      assert.equal(result.syncRounds, 0); // it sent nothing
      assert.equal(result.ok, true);
      const last = rounds[g]!.at(-1)!;
      assert.equal(last[0], round);
      assert.ok(last[1] >= sentMs - 1); // the same clock, a wall clock
      // Rounds reported in increasing order, each one once.
      const numbers = rounds[g]!.map(([r]) => r);
      assert.deepEqual(numbers, numbers.toSorted((a, b) => a - b));
      assert.equal(new Set(numbers).size, numbers.length);
    }
    assert.equal(leader.lost, undefined);
  } finally {
    end.abort();
    await leader.close();
    await server.shutdown();
  }
});

Deno.test("runLoad with a leader counts a frame from anyone else as invalid", async () => {
  const server = startNaiveServer({ hostname: "127.0.0.1", port: 0 });
  await using leader = await RoundLeader.connect("127.0.0.1", server.addr.port, "lead");
  await using other = await RoundLeader.connect("127.0.0.1", server.addr.port, "mallory");
  const end = new AbortController();
  let rounds = 0;
  try {
    const run = runLoad({
      port: server.addr.port,
      clients: 3,
      leader: "lead",
      hold: 60,
      holdUntil: end.signal,
      durationLimit: 20,
      onRound: () => rounds++,
    });
    while (rounds === 0) {
      await leader.send();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await other.send();
    const { round } = await leader.send();
    await new Promise((resolve) => setTimeout(resolve, 200));
    end.abort();
    const result = await run;
    assert.ok(round > 1);
    assert.equal(result.invalidFrames, 3);
    assert.equal(result.ok, false);
  } finally {
    end.abort();
    await server.close();
  }
});

Deno.test("runLoad names its clients from firstIndex, and a leader needs a hold", async () => {
  assert.throws(() => runLoad({ port: 9, leader: "lead" }), {
    name: "RangeError",
    message: "Invalid options: a leader needs a hold",
  });
  assert.throws(() => runLoad({ port: 9, clients: 2, firstIndex: 999_999 }), RangeError);
  // Its own sync rounds come from u<firstIndex>, and the run is as clean as from u0.
  const result = await loadNaive({ clients: 4, senders: 2, messages: 20, firstIndex: 500 });
  assert.equal(result.ok, true);
  assert.equal(result.deliveriesReceived, 4 * 2 * 20);
});

Deno.test("LoadProcess holds its clients in a child process until told to finish", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error", maxMessageRate: 0 });
  await using leader = await RoundLeader.connect("127.0.0.1", server.addr.port, "lead");
  const rounds: number[] = [];
  const load = new LoadProcess({
    port: [server.addr.port, server.addr.port],
    clients: 10,
    firstIndex: 30,
    leader: "lead",
    hold: 60,
    readBufferSize: 256,
    onRound: (round) => rounds.push(round),
  });
  try {
    for (let i = 0; i < 500 && rounds.length === 0; i++) {
      await leader.send();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(rounds.length > 0, load.log.join("\n"));
    assert.equal(load.running, true);
    const { result, code } = await load.finish(20_000);
    assert.equal(code, 0, load.log.join("\n"));
    assert.equal(result?.mode, "hold");
    assert.equal(result?.clients, 10);
    assert.equal(result?.ok, true);
    assert.equal(load.running, false);
  } finally {
    await load.kill();
    await leader.close();
    await server.shutdown();
  }
});
