import assert from "node:assert/strict";
import { describe } from "../../server/session/disconnect.ts";
import { ProtocolError } from "../../protocol/errors.ts";

Deno.test("a link words its own errors first; the session words the rest", () => {
  const tlsFault = Object.assign(new Error("wrong version number"), {
    code: "ERR_SSL_WRONG_VERSION_NUMBER",
  });
  const words = (error: unknown) =>
    (error as { code?: string }).code?.startsWith("ERR_SSL")
      ? "TLS error: wrong version number"
      : undefined;
  assert.deepEqual(describe(tlsFault, words), {
    text: "TLS error: wrong version number",
    level: "info",
    cause: "protocol error",
  });
  assert.equal(
    describe(new Deno.errors.ConnectionReset("reset"), words).text,
    "connection reset by peer",
  );
  assert.match(
    describe(new ProtocolError("INVALID_UTF8", "Cannot decode frame: x")).text,
    /^protocol error: /,
  );
});
