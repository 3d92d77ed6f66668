import assert from "node:assert/strict";
import {
  checkClientFinal,
  constantTimeEqual,
  fromBase64,
  MIN_ITERATIONS,
  parseClientFirst,
  ScramClient,
  ScramError,
  scramVerifier,
  serverFirst,
} from "../../protocol/scram.ts";

// RFC 7677, section 3.
const NONCE = "rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST =
  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const CLIENT_FINAL = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," +
  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

Deno.test("ScramClient computes RFC 7677's client proof and checks its server signature", async () => {
  const client = new ScramClient("user", { nonce: NONCE, minIterations: 4096 });
  assert.equal(client.first, `n,,n=user,r=${NONCE}`);
  assert.equal(await client.final(SERVER_FIRST, "pencil"), CLIENT_FINAL);
  assert.ok(client.verify(SERVER_FINAL));
  assert.ok(!client.verify("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
});

Deno.test("checkClientFinal accepts RFC 7677's proof and answers its server signature", async () => {
  const verifier = await scramVerifier("pencil", {
    salt: fromBase64("W22ZaJ0SNY7soEsUEjb6gQ==")!,
    iterations: 4096,
  });
  const first = parseClientFirst(`n,,n=user,r=${NONCE}`)!;
  assert.deepEqual(first, { username: "user", nonce: NONCE, bare: `n=user,r=${NONCE}` });
  assert.equal(
    await checkClientFinal(verifier, first.bare, SERVER_FIRST, CLIENT_FINAL),
    SERVER_FINAL,
  );
  // A wrong password's proof, a proof for another nonce, a missing proof: refused.
  const wrong = await new ScramClient("user", { nonce: NONCE, minIterations: 4096 })
    .final(SERVER_FIRST, "pencil2");
  assert.equal(await checkClientFinal(verifier, first.bare, SERVER_FIRST, wrong), undefined);
  const otherNonce = CLIENT_FINAL.replace("k0,p=", "k1,p=");
  assert.equal(await checkClientFinal(verifier, first.bare, SERVER_FIRST, otherNonce), undefined);
  assert.equal(await checkClientFinal(verifier, first.bare, SERVER_FIRST, "c=biws"), undefined);
});

Deno.test("The stored verifier is not the password and cannot serve as a proof", async () => {
  const verifier = await scramVerifier("pencil", { iterations: 4096 });
  const first = parseClientFirst(`n,,n=user,r=${NONCE}`)!;
  const challenge = serverFirst(verifier, NONCE, "server");
  // Someone holding the stored key sends it (or the server key) as the proof.
  for (const key of [verifier.storedKey, verifier.serverKey]) {
    const b64 = btoa(String.fromCharCode(...key));
    const final = `c=biws,r=${NONCE}server,p=${b64}`;
    assert.equal(await checkClientFinal(verifier, first.bare, challenge, final), undefined);
  }
});

Deno.test("ScramClient refuses a challenge below the minimum of iterations, or not echoing its nonce", () => {
  const client = new ScramClient("alice", { nonce: "abc" });
  assert.throws(() => client.check("r=abcdef,s=QUJD,i=4096"), ScramError);
  assert.throws(() => client.check(`r=xyzdef,s=QUJD,i=${MIN_ITERATIONS}`), /nonce/);
  assert.throws(() => client.check(`r=abc,s=QUJD,i=${MIN_ITERATIONS}`), /nonce/);
  assert.throws(() => client.check("hello everyone"), /Not a SCRAM challenge/);
  assert.throws(() => client.check(`r=abcdef,s=,i=${MIN_ITERATIONS}`), /Not a SCRAM/);
  assert.deepEqual(client.check(`r=abcdef,s=QUJD,i=${MIN_ITERATIONS}`).iterations, MIN_ITERATIONS);
});

Deno.test("parseClientFirst refuses what is not a plain client-first message", () => {
  for (
    const bad of [
      "",
      "n=alice,r=abc",
      "y,,n=alice,r=abc",
      "p=tls-unique,,n=alice,r=abc",
      "n,a=bob,n=alice,r=abc",
      "n,,n=alice",
      "n,,n=,r=abc",
      "n,,n=alice,r=a,b",
      "n,,n=al=ice,r=abc",
      "n,,r=abc,n=alice",
      "n,,n=alice,r=abc,m=ext",
      `n,,n=alice,r=${"x".repeat(600)}`,
    ]
  ) {
    assert.equal(parseClientFirst(bad), undefined, bad);
  }
  assert.equal(parseClientFirst("n,,n=a=2Cb=3D,r=abc")?.username, "a,b=");
});

Deno.test("constantTimeEqual compares whole byte strings", () => {
  assert.ok(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])));
  assert.ok(!constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])));
  assert.ok(!constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])));
});
