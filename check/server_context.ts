/**
 * What a server case works with: the server's address and limits, fresh
 * connections that are closed when the case ends, user names of its own, and
 * the waits and failures every case shares.
 *
 * @module
 */

import { fail } from "./case.ts";
import { delay, Peer } from "./peer.ts";
import { quote, type ReceivedFrame, stringFrame } from "./wire.ts";

/** The server under test and what was agreed with it. */
export interface ServerTarget {
  /** Its host. */
  readonly hostname: string;
  /** Its port. */
  readonly port: number;
  /** Its `max-username-size`, in bytes. */
  readonly maxUsernameSize: number;
  /** Its `max-message-size`, in bytes. */
  readonly maxMessageSize: number;
  /** Milliseconds to wait for anything the server must do. */
  readonly timeoutMs: number;
}

let runs = 0;

/** What one server case works with; {@linkcode ServerContext.dispose} closes what it opened. */
export class ServerContext {
  /** The server under test. */
  readonly target: ServerTarget;
  readonly #peers: Peer[] = [];
  readonly #background: Promise<unknown>[] = [];
  readonly #token: string;
  #texts = 0;

  /** @param target The server under test. */
  constructor(target: ServerTarget) {
    this.target = target;
    this.#token = `${(Date.now() % 1296).toString(36)}${(runs++ % 1296).toString(36)}`;
  }

  /** Milliseconds to wait for anything the server must do. */
  get timeout(): number {
    return this.target.timeoutMs;
  }

  /** Milliseconds to watch for something that must not happen. */
  get quiet(): number {
    return Math.min(this.target.timeoutMs, 500);
  }

  /**
   * A user name of this case: `base` and a token of the run, within the limit.
   *
   * @param base A short name, ASCII letters.
   * @returns The name.
   */
  name(base: string): string {
    return `${base}${this.#token}`.slice(0, Math.max(1, this.target.maxUsernameSize));
  }

  /**
   * A message text that no other case sends.
   *
   * @param base What it says.
   * @returns The text.
   */
  text(base: string): string {
    return `${base} #${this.#token}.${++this.#texts}`;
  }

  /**
   * Opens a connection, without logging in.
   *
   * @param label Its name in reports.
   * @returns The peer.
   */
  async connect(label: string): Promise<Peer> {
    const { hostname, port, maxUsernameSize, maxMessageSize } = this.target;
    let peer: Peer;
    try {
      peer = await Peer.connect(
        hostname,
        port,
        label,
        Math.max(maxUsernameSize, maxMessageSize, 64),
      );
    } catch (error) {
      fail(
        `a connection to ${hostname}:${port}`,
        `it failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.#peers.push(peer);
    return peer;
  }

  /**
   * Opens a connection and sends a login, without waiting for anything.
   *
   * @param name The user name, or its raw bytes.
   * @returns The peer.
   */
  async login(name: string | Uint8Array): Promise<Peer> {
    const peer = await this.connect(typeof name === "string" ? name : "peer");
    await peer.send(stringFrame(name));
    return peer;
  }

  /**
   * Logs clients in and waits until the server relays to all of them: the first
   * sends sync messages until each has received one (there is no login
   * acknowledgement), then a last one that all receive; their frames are then
   * forgotten.
   *
   * @param names The user names.
   * @returns The peers, in the order of `names`.
   */
  async join(...names: string[]): Promise<Peer[]> {
    const peers: Peer[] = [];
    for (const name of names) peers.push(await this.login(name));
    await this.sync(peers);
    return peers;
  }

  /**
   * Waits until the server relays a message of the first peer to all of them,
   * then forgets what they received.
   *
   * @param peers Peers that have logged in.
   */
  async sync(peers: readonly Peer[]): Promise<void> {
    const first = peers[0]!;
    const tag = `sync ${this.#token}.${++this.#texts} `;
    const synced = (peer: Peer) => peer.frames.some((frame) => frame.text.startsWith(tag));
    const deadline = performance.now() + this.timeout;
    let round = 0;
    while (!peers.every(synced)) {
      if (performance.now() > deadline || first.ended !== undefined) {
        return this.#syncFailed(peers, synced);
      }
      await first.send(stringFrame(`${tag}${++round}`));
      await Promise.all(peers.map((peer) => peer.until(() => synced(peer), 100)));
    }
    const last = `${tag}end`;
    await first.send(stringFrame(last));
    for (const peer of peers) {
      if (!await peer.until(() => peer.frames.some((f) => f.text === last), this.timeout)) {
        return this.#syncFailed(peers, (p) => p.frames.some((f) => f.text === last));
      }
      peer.clear();
    }
  }

  #syncFailed(peers: readonly Peer[], synced: (peer: Peer) => boolean): never {
    const missing = peers.filter((peer) => !synced(peer));
    const first = peers[0]!;
    fail(
      `after ${peers.map((p) => quote(p.label)).join(", ")} log in and ${
        quote(first.label)
      } sends a message, every one of them, the sender included, receives it`,
      missing.map((peer) =>
        `${quote(peer.label)} did not within ${this.timeout} ms (${describe(peer)})`
      ).join("; "),
    );
  }

  /**
   * Sends a message.
   *
   * @param peer Who sends.
   * @param text The message, or its raw bytes.
   */
  async say(peer: Peer, text: string | Uint8Array): Promise<void> {
    await peer.send(stringFrame(text));
  }

  /**
   * Waits until `peer` receives `text` from `user`; fails otherwise.
   *
   * @param peer Who receives.
   * @param user The sender's name.
   * @param text The message.
   * @returns The frame.
   */
  async expectFrame(peer: Peer, user: string, text: string): Promise<ReceivedFrame> {
    const frame = await peer.frame((f) => f.user === user && f.text === text, this.timeout);
    if (frame !== undefined) return frame;
    const sameText = peer.frames.find((f) => f.text === text);
    fail(
      `${quote(peer.label)} receives a frame from ${quote(user)} with the message ${quote(text)}`,
      sameText !== undefined
        ? `the message came from ${quote(sameText.user)}`
        : `none within ${this.timeout} ms (${describe(peer)})`,
    );
  }

  /**
   * Waits until the server closes `peer`'s connection; fails otherwise.
   *
   * @param peer The connection.
   * @param after What the peer did, for the report.
   */
  async expectClosed(peer: Peer, after: string): Promise<void> {
    if (await peer.closedWithin(this.timeout)) return;
    fail(
      `the server closes the connection after ${after}`,
      `it was still open after ${this.timeout} ms (${describe(peer)})`,
    );
  }

  /**
   * Watches `peer` for a while and fails if a frame matching `match` arrives.
   *
   * @param peer The connection.
   * @param what What must not arrive, for the report.
   * @param match Which frames count; all by default.
   */
  async expectNothing(
    peer: Peer,
    what: string,
    match: (frame: ReceivedFrame) => boolean = () => true,
  ): Promise<void> {
    await delay(this.quiet);
    const frame = peer.frames.find(match);
    if (frame !== undefined) {
      fail(
        `${quote(peer.label)} receives ${what}`,
        `it received ${describeFrame(frame)}`,
      );
    }
    if (peer.problem !== undefined) fail(`${quote(peer.label)} receives ${what}`, peer.problem);
  }

  /**
   * Runs `work` beside the case (a sender that may block on a server that stops
   * reading); {@linkcode ServerContext.dispose} waits for it once every
   * connection is closed.
   *
   * @param work The work.
   * @returns The same promise.
   */
  background<T>(work: Promise<T>): Promise<T> {
    this.#background.push(work.catch(() => {}));
    return work;
  }

  /** Closes every connection of the case, then waits for its background work. */
  async dispose(): Promise<void> {
    await Promise.all(this.#peers.map((peer) => peer.close()));
    await Promise.all(this.#background);
  }
}

/**
 * A peer's state, for a report: frames received, the last one, how it ended.
 *
 * @param peer The peer.
 * @returns One line.
 */
export function describe(peer: Peer): string {
  const frames = peer.frames;
  const parts = [
    frames.length === 0
      ? "no frame received"
      : `${frames.length} frame${frames.length === 1 ? "" : "s"} received, the last ${
        describeFrame(frames.at(-1)!)
      }`,
  ];
  if (peer.problem !== undefined) parts.push(peer.problem);
  else if (peer.pendingBytes > 0) parts.push(`${peer.pendingBytes} bytes that make no whole frame`);
  parts.push(
    peer.ended === undefined
      ? "connection open"
      : `connection ${peer.ended === "closed" ? "closed" : "reset"} by the server`,
  );
  return parts.join("; ");
}

/**
 * A frame, for a report.
 *
 * @param frame The frame.
 * @returns `[user] "text" at timestamp`.
 */
export function describeFrame(frame: ReceivedFrame): string {
  return `${quote(frame.user)}: ${quote(frame.text)} (timestamp ${frame.timestamp})`;
}
