import assert from "node:assert/strict";
import { within } from "../support/deadline.ts";
import { connect } from "../../client.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { ServerProcess } from "../support/process.ts";
import { next } from "../support/receive.ts";
import { startServer } from "../support/test_server.ts";
import { testCerts } from "../support/tls_certs.ts";

Deno.test("server puts a TLS client and a plain client in one chat, both ways", async () => {
  const certs = await testCerts();
  await using test = startServer({ tls: { ...certs.server, port: 0 } });
  const tlsPort = test.server.addrs.tls!.port;
  await using secure = await connect({
    hostname: "localhost",
    port: tlsPort,
    username: "secure",
    caCerts: [certs.ca],
  });
  await test.logs.waitFor(/logged in as "secure"/);
  const plain = await test.join("plain");
  await secure.send("over TLS");
  assert.equal((await plain.waitForText("over TLS")).username, "secure");
  assert.equal((await next(secure)).text, "over TLS");
  await plain.sendString("in the clear");
  assert.deepEqual(
    [(await next(secure)).text, (await plain.waitForText("in the clear")).username],
    ["in the clear", "plain"],
  );
  await test.logs.waitFor(/connected over tls/);
  await plain.close();
});

Deno.test("server tells a plain client on the TLS port to use --tls, in one frame; others notice nothing", async () => {
  const certs = await testCerts();
  await using test = startServer({ tls: { ...certs.server, port: 0 } });
  const alice = await test.join("alice");
  const plain = await ChatPeer.connect(test.server.addrs.tls!.port);
  plain.startReading();
  await plain.sendRaw(new Uint8Array([0, 0, 0, 3, 98, 111, 98]));
  const [why] = await plain.waitForMessages(1);
  assert.deepEqual([why!.username, why!.text], ["*", "this port speaks TLS: use --tls"]);
  assert.equal(await plain.waitForEnd(), "closed");
  await plain.close();
  await test.logs.waitFor(/does not speak TLS/);
  assert.equal(test.server.stats.clients, 1);
  await alice.sendString("still fine");
  await alice.waitForText("still fine");
  await alice.close();
});

Deno.test("server closes a TLS handshake that never completes at the login timeout", async () => {
  const certs = await testCerts();
  await using test = startServer({ tls: { ...certs.server, port: 0 }, loginTimeout: 300 });
  const silent = await ChatPeer.connect(test.server.addrs.tls!.port);
  silent.startReading();
  // The first bytes of a handshake record, and nothing more.
  await silent.sendRaw(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00]));
  await test.logs.waitFor(/disconnected: login timeout/);
  // The socket itself is closed: the client sees the end.
  assert.equal(await silent.waitForEnd(), "closed");
  assert.equal(test.server.stats.clients, 0);
  assert.equal(test.server.stats.pendingLogins, 0);
  await silent.close();
});

Deno.test("server --tls-only opens no plain door, and SIGHUP rotates the certificate", async () => {
  const certs = await testCerts();
  await using server = await ServerProcess.start(
    [
      "--tls-only",
      "--tls-cert",
      certs.server.certPath,
      "--tls-key",
      certs.server.keyPath,
      "--tls-port",
      "0",
    ],
    { denoArgs: ["--allow-net", "--allow-read"] },
  );
  // With TLS only, the one door listening is the TLS one.
  const tls = server.port;
  assert.equal(server.stderr.matching(/listening on 127\.0\.0\.1:\d+ \(TLS\)/).length, 1);
  assert.equal(server.stderr.matching(/listening on 127\.0\.0\.1:\d+ \(user/).length, 0);
  await using before = await connect({
    hostname: "localhost",
    port: tls,
    username: "before",
    caCerts: [certs.ca],
  });
  await before.send("before is here");
  assert.equal((await within(next(before), "before's echo")).text, "before is here");
  const renewed = await Deno.readTextFile(certs.renewed.certPath);
  // Rotate: the files now hold the renewed pair.
  const original = { cert: certs.server.cert, key: certs.server.key };
  await Deno.writeTextFile(certs.server.certPath, renewed);
  await Deno.writeTextFile(certs.server.keyPath, await Deno.readTextFile(certs.renewed.keyPath));
  try {
    server.child.kill("SIGHUP");
    await server.stderr.waitFor(/TLS certificate reloaded/);
    await using after = await connect({
      hostname: "localhost",
      port: tls,
      username: "after",
      caCerts: [certs.ca],
    });
    // Its own echo says the server has its login: it receives what follows.
    await after.send("after is here");
    assert.equal((await within(next(after), "after's echo")).text, "after is here");
    await before.send("still connected");
    assert.equal((await within(next(after), "before's message")).text, "still connected");
    // A broken file: one line, the current certificate stays.
    await Deno.writeTextFile(certs.server.keyPath, "not a key");
    server.child.kill("SIGHUP");
    await server.stderr.waitFor(/SIGHUP: .*keeping the old certificate/);
    await using third = await connect({
      hostname: "localhost",
      port: tls,
      username: "third",
      caCerts: [certs.ca],
    });
    await third.send("after a failed reload");
    assert.equal((await within(next(before), "after's message")).text, "after is here");
    assert.equal((await within(next(before), "its own echo")).text, "still connected");
    assert.equal((await within(next(before), "third's message")).text, "after a failed reload");
  } finally {
    await Deno.writeTextFile(certs.server.certPath, original.cert);
    await Deno.writeTextFile(certs.server.keyPath, original.key);
  }
  assert.equal((await server.stop()).code, 0);
});
