/**
 * A chat server that follows PROTOCOL.md and nothing more, as the seed's Python
 * server does (no `*` voice, no name rules, no rate limit, no history), with a
 * switch for each rule the kit's cases check: turned on, a fault breaks exactly
 * that rule, so a test can show that its case fails.
 *
 * @module
 */

/** The faults a reference server can have; none by default. */
export interface Faults {
  /** The sender does not receive its own message. */
  noEcho?: boolean;
  /** Only the sender receives its message. */
  echoOnly?: boolean;
  /** Each frame carries the receiver's name instead of the sender's. */
  receiverName?: boolean;
  /** Timestamps in milliseconds. */
  millis?: boolean;
  /** Timestamps little-endian. */
  leTimestamp?: boolean;
  /** Sizes little-endian, read and written. */
  leSizes?: boolean;
  /** Sizes read from their last byte only. */
  lowByteSize?: boolean;
  /** Sizes written as the number of UTF-16 code units. */
  charSizes?: boolean;
  /** Empty messages are dropped. */
  dropEmpty?: boolean;
  /** A welcome frame after each login. */
  greeting?: boolean;
  /** A line feed after each frame. */
  newlineAfterFrame?: boolean;
  /** Each chunk read is parsed on its own; a frame split across chunks is lost. */
  oneRead?: boolean;
  /** Only the first frame of each chunk read is handled. */
  oneFramePerRead?: boolean;
  /** User names are stored in lower case. */
  lowercaseNames?: boolean;
  /** A connection that ends in the middle of its login stops all relaying. */
  breakOnCutLogin?: boolean;
  /** What follows a login in the same chunk is thrown away. */
  dropLoginRest?: boolean;
  /** Frames go to every connection, logged in or not. */
  sendToPending?: boolean;
  /** A string of exactly the limit is refused too. */
  offByOne?: boolean;
  /** No size limit. */
  noSizeLimit?: boolean;
  /** The whole payload is read before its size is checked. */
  payloadFirst?: boolean;
  /** The limits count UTF-16 code units of the decoded text, not bytes. */
  charLimit?: boolean;
  /** Invalid UTF-8 is decoded with replacement characters and relayed. */
  lenientUtf8?: boolean;
  /** Each receiver gets each frame after a random delay of its own. */
  reorder?: boolean;
  /** A protocol error on one connection closes them all. */
  closeAllOnError?: boolean;
  /** Once a client has left, nothing is relayed any more. */
  breakOnLeave?: boolean;
  /** A message cut by a disconnect is relayed as far as it came. */
  relayPartial?: boolean;
  /** The next connection is accepted only once the last has logged in. */
  blockingLogin?: boolean;
  /** Control characters are removed from messages. */
  sanitize?: boolean;
  /** Frames are written to each receiver in turn, each write awaited. */
  blockingWrites?: boolean;
  /** More than 200 messages a second from one connection are dropped. */
  dropOverRate?: boolean;
  /** Only the first 64 clients to log in receive anything. */
  maxClients?: boolean;
}

/** A reference server, listening. */
export interface ReferenceServer extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Stops it and closes every connection. */
  close(): Promise<void>;
}

interface Client {
  readonly conn: Deno.TcpConn;
  name: string | undefined;
  queue: Promise<void>;
  closed: boolean;
}

const encoder = new TextEncoder();

function u32(value: number, little: boolean): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, little);
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Starts a reference server on 127.0.0.1 and a free port.
 *
 * @param faults The rules it breaks.
 * @param limits Its limits (25 and 3000 by default).
 * @returns The server.
 */
export function startReferenceServer(
  faults: Faults = {},
  limits: { maxUsernameSize?: number; maxMessageSize?: number } = {},
): ReferenceServer {
  const maxUsernameSize = limits.maxUsernameSize ?? 25;
  const maxMessageSize = limits.maxMessageSize ?? 3000;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const clients = new Set<Client>();
  const tasks = new Set<Promise<void>>();
  let broken = false;
  const rates = new Map<Client, { second: number; count: number }>();

  const stringBytes = (text: string): Uint8Array => {
    const bytes = encoder.encode(text);
    const size = faults.charSizes ? text.length : bytes.length;
    return concat([u32(size, faults.leSizes === true), bytes]);
  };

  const frame = (user: string, text: string): Uint8Array => {
    const time = new Uint8Array(8);
    const now = faults.millis ? Date.now() : Math.floor(Date.now() / 1000);
    new DataView(time.buffer).setBigUint64(0, BigInt(now), faults.leTimestamp === true);
    const parts = [time, stringBytes(user), stringBytes(text)];
    if (faults.newlineAfterFrame) parts.push(new Uint8Array([10]));
    return concat(parts);
  };

  const write = async (client: Client, bytes: Uint8Array) => {
    try {
      for (let at = 0; at < bytes.length;) at += await client.conn.write(bytes.subarray(at));
    } catch {
      drop(client);
    }
  };

  const enqueue = (client: Client, bytes: Uint8Array) => {
    client.queue = client.queue.then(() => client.closed ? undefined : write(client, bytes));
  };

  const drop = (client: Client) => {
    if (client.closed) return;
    client.closed = true;
    clients.delete(client);
    try {
      client.conn.close();
    } catch {
      // Already closed.
    }
  };

  const broadcast = async (sender: Client, text: string) => {
    if (broken || (faults.dropEmpty && text === "")) return;
    if (faults.dropOverRate) {
      const second = Math.floor(Date.now() / 1000);
      const rate = rates.get(sender) ?? { second, count: 0 };
      if (rate.second !== second) Object.assign(rate, { second, count: 0 });
      rates.set(sender, rate);
      if (++rate.count > 200) return;
    }
    // deno-lint-ignore no-control-regex
    if (faults.sanitize) text = text.replace(/[\x00-\x1f\x7f-\x9f]/g, "");
    let receivers = [...clients].filter((c) => faults.sendToPending || c.name !== undefined);
    if (faults.maxClients) receivers = receivers.slice(0, 64);
    if (faults.noEcho) receivers = receivers.filter((c) => c !== sender);
    if (faults.echoOnly) receivers = [sender];
    const shared = frame(sender.name ?? "", text);
    for (const receiver of receivers) {
      const bytes = faults.receiverName ? frame(receiver.name ?? "", text) : shared;
      if (faults.blockingWrites) await write(receiver, bytes);
      else if (faults.reorder) {
        setTimeout(() => enqueue(receiver, bytes), Math.random() * 20);
      } else enqueue(receiver, bytes);
    }
  };

  const protocolError = (client: Client) => {
    if (faults.closeAllOnError) { for (const c of [...clients]) drop(c); }
    drop(client);
  };

  const serve = async (client: Client) => {
    let buffer: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(65536);
    const decoder = new TextDecoder("utf-8", { fatal: !faults.lenientUtf8 });
    try {
      while (!client.closed) {
        const n = await client.conn.read(chunk);
        if (n === null) break;
        buffer = faults.oneRead ? chunk.slice(0, n) : concat([buffer, chunk.subarray(0, n)]);
        let at = 0;
        while (buffer.length - at >= 4) {
          const view = new DataView(buffer.buffer, buffer.byteOffset + at, 4);
          const size = faults.lowByteSize ? view.getUint8(3) : view.getUint32(0, faults.leSizes);
          const limit = client.name === undefined ? maxUsernameSize : maxMessageSize;
          const over = faults.offByOne ? size >= limit : size > limit;
          const checkLater = faults.noSizeLimit || faults.payloadFirst || faults.charLimit;
          if (over && !checkLater) return protocolError(client);
          if (buffer.length - at < 4 + size) break;
          if (over && faults.payloadFirst) return protocolError(client);
          let text: string;
          try {
            text = decoder.decode(buffer.subarray(at + 4, at + 4 + size));
          } catch {
            return protocolError(client);
          }
          if (faults.charLimit && text.length > limit) return protocolError(client);
          at += 4 + size;
          if (client.name === undefined) {
            client.name = faults.lowercaseNames ? text.toLowerCase() : text;
            if (faults.greeting) enqueue(client, frame("server", `welcome, ${text}`));
            if (faults.dropLoginRest) at = buffer.length;
          } else {
            await broadcast(client, text);
          }
          if (faults.oneFramePerRead) at = buffer.length;
        }
        buffer = buffer.slice(at);
      }
      if (faults.relayPartial && client.name !== undefined && buffer.length > 4) {
        await broadcast(client, new TextDecoder().decode(buffer.subarray(4)));
      }
    } catch {
      // Reset by the peer.
    } finally {
      drop(client);
      if (faults.breakOnLeave && client.name !== undefined) broken = true;
      if (faults.breakOnCutLogin && client.name === undefined && buffer.length > 0) broken = true;
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conn.setNoDelay(true);
        const client: Client = { conn, name: undefined, queue: Promise.resolve(), closed: false };
        clients.add(client);
        const task = serve(client);
        tasks.add(task);
        task.finally(() => tasks.delete(task));
        if (faults.blockingLogin) {
          await Promise.race([
            task,
            (async () => {
              while (client.name === undefined && !client.closed) {
                await new Promise((r) => setTimeout(r, 5));
              }
            })(),
          ]);
        }
      }
    } catch {
      // Closed.
    }
  })();

  const close = async () => {
    try {
      listener.close();
    } catch {
      // Already closed.
    }
    for (const client of [...clients]) drop(client);
    await accepting;
    await Promise.allSettled([...tasks]);
    await new Promise((r) => setTimeout(r, 30)); // reordered frames still in their timers
  };

  return {
    port: (listener.addr as Deno.NetAddr).port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
