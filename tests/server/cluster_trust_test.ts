import assert from "node:assert/strict";
import { concatBytes } from "../../io/write_all.ts";
import { connect } from "@nats-io/transport-node";
import { encodeChatMessage } from "../../protocol/encode.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { type ClusterNode, startNode } from "../support/cluster_node.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";

async function join(n: ClusterNode, name: string): Promise<ChatPeer> {
  const peer = await ChatPeer.login(n.port, name);
  await n.logs.waitFor(new RegExp(`logged in as "${name}"`));
  peer.startReading();
  return peer;
}

function frame(username: Uint8Array, text: string): Uint8Array {
  const good = encodeChatMessage({ timestamp: 1_700_000_000, username: "x", text });
  const out = new Uint8Array(good.length - 1 + username.length);
  out.set(good.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, username.length);
  out.set(username, 12);
  out.set(good.subarray(13), 12 + username.length);
  return out;
}

const encoder = new TextEncoder();
const forged = encodeChatMessage({ timestamp: 1, username: "*", text: '"alice" left' });

/** A frame that any client could have sent, from a user "mallet". */
function sound(text: string): Uint8Array {
  return encodeChatMessage({ timestamp: 1_700_000_000, username: "mallet", text });
}

natsTest(
  "frames published straight into NATS are checked: poison is skipped, counted and never reaches a client",
  async () => {
    await using nats = await NatsServer.start();
    const a = await startNode(nats, { history: 50, presence: true });
    const nc = await connect({ servers: nats.url });
    try {
      const alice = await join(a, "alice");
      await alice.waitForText('"alice" joined');
      const msg = "wirechat.test.msg";
      const voice = "wirechat.test.voice";
      const poison: [string, Uint8Array][] = [
        [msg, encoder.encode("garbage")], // 7 bytes that would desynchronise every TCP client
        [msg, frame(new Uint8Array([0xc3, 0x28]), "not UTF-8 name")],
        [msg, forged],
        [msg, encodeChatMessage({ timestamp: 1, username: "bob\u001b[2J\n", text: "esc" })],
        [voice, encodeChatMessage({ timestamp: 1, username: "mallory", text: "as the server" })],
        [voice, encoder.encode("garbage on the voice subject")],
        // A stream message may hold several frames: each is judged on its own.
        [msg, concatBytes([sound("sound before garbage"), encoder.encode("garbage")])],
        [msg, concatBytes([sound("sound before a forgery"), forged])],
      ];
      for (const [subject, data] of poison) nc.publish(subject, data);
      await nc.flush();
      const bob = await join(a, "bob");
      await bob.sendString("after the poison");
      await alice.waitForText("after the poison");
      for (const text of ["sound before garbage", "sound before a forgery"]) {
        assert.equal(alice.messages.filter((m) => m.text === text).length, 1, text);
      }
      await a.logs.waitFor(/a frame from the cluster was refused at stream sequence \d+: garbage/);
      assert.equal(a.server.stats.backplaneRefused, poison.length);
      const texts = alice.messages.map((message) => `${message.username}: ${message.text}`);
      assert.ok(
        !texts.some((text) => /"alice" left|esc|as the server|not UTF-8/.test(text)),
        texts.join("\n"),
      );
      assert.equal(alice.ended, undefined, "alice was cut off");
      // The history holds none of it: a later joiner is served and stays.
      const carol = await join(a, "carol");
      await carol.waitForText("after the poison");
      assert.equal(carol.ended, undefined);
      const second = await startNode(nats, { history: 50 });
      try {
        const dave = await join(second, "dave");
        await dave.waitForText("after the poison");
        assert.ok(
          !dave.messages.some((message) => /"alice" left|as the server/.test(message.text)),
        );
        assert.equal(second.server.stats.backplaneRefused, poison.length);
        await dave.close();
      } finally {
        await second.server.shutdown();
      }
      for (const peer of [alice, bob, carol]) await peer.close();
    } finally {
      await nc.close();
      await a.server.shutdown();
    }
  },
);

natsTest(
  "a node's own notices from * still reach every node, through the voice subject",
  async () => {
    await using nats = await NatsServer.start();
    const a = await startNode(nats, { presence: true });
    const b = await startNode(nats, { presence: true });
    try {
      const alice = await join(a, "alice");
      const bob = await join(b, "bob");
      await alice.waitForText('"bob" joined');
      await bob.waitForText('"alice" joined');
      assert.equal(a.server.stats.backplaneRefused, 0);
      assert.equal(b.server.stats.backplaneRefused, 0);
      await alice.close();
      await bob.close();
    } finally {
      await a.server.shutdown();
      await b.server.shutdown();
    }
  },
);
