import assert from "node:assert/strict";
import { addressKey, Admission, type Admitted } from "../../server/session/admission.ts";

function conn(key: string, connectedAt = 0, evicted: string[] = []): Admitted {
  return { connectedAt, addressKey: key, evict: () => evicted.push(key) };
}

Deno.test("addressKey counts IPv4-mapped IPv6 as IPv4 and IPv6 by its /64", () => {
  assert.equal(addressKey("10.1.2.3"), "10.1.2.3");
  assert.equal(addressKey("::ffff:10.1.2.3"), "10.1.2.3");
  assert.equal(addressKey("2001:db8:aa:bb:1::1"), addressKey("2001:db8:aa:bb:ffff::2"));
  assert.notEqual(addressKey("2001:db8:aa:bb::1"), addressKey("2001:db8:aa:bc::1"));
  assert.equal(addressKey("::1"), "0:0:0:0::/64");
});

Deno.test("Admission limits connections per address, and frees a place on close", () => {
  const admission = new Admission({
    maxClients: 100,
    maxPendingLogins: 100,
    maxConnectionsPerIp: 2,
    evictAfterMs: 1000,
  });
  const a1 = conn("a");
  const a2 = conn("a");
  assert.equal(admission.admit(a1, 0), undefined);
  assert.equal(admission.admit(a2, 0), undefined);
  assert.equal(admission.admit(conn("a"), 0), "too many from address");
  assert.equal(admission.admit(conn("b"), 0), undefined);
  admission.closed(a1);
  admission.closed(a1); // twice is once
  assert.equal(admission.admit(conn("a"), 0), undefined);
  assert.equal(admission.open, 3);
});

Deno.test("Admission evicts the oldest pending login only after it has waited", () => {
  const evicted: string[] = [];
  const admission = new Admission({
    maxClients: 10,
    maxPendingLogins: 2,
    maxConnectionsPerIp: 0,
    evictAfterMs: 1000,
  });
  const old = conn("old", 0, evicted);
  const young = conn("young", 900, evicted);
  admission.admit(old, 0);
  admission.admit(young, 900);
  assert.equal(admission.admit(conn("new", 950), 950), "too many pending logins");
  assert.equal(admission.admit(conn("new", 1001), 1001), undefined);
  assert.deepEqual(evicted, ["old"]);
  // A login leaves the pending set: it is never evicted.
  admission.loggedIn(young);
  assert.equal(admission.pending, 1);
  assert.equal(admission.admit(conn("later", 5000, evicted), 5000), undefined);
  assert.deepEqual(evicted, ["old"]);
});
