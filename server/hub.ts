/**
 * The hub between the doors and the room: it admits every connection a door
 * accepts, keeps the login deadline, opens sessions, routes what they receive
 * (`/who` to the sender alone, every other message to the backplane), and
 * counts.
 *
 * @module
 */

import { addressKey, Admission, type Admitted as AdmissionEntry } from "./session/admission.ts";
import type { Admitted, CloseReason, DoorHost, DoorLog, Ticket } from "./doors/door.ts";
import type { Link, LinkOrigin } from "./session/link.ts";
import { Session } from "./session/session.ts";
import type { DisconnectReason, SessionHost } from "./session/session_host.ts";
import type { Backplane } from "./cluster/backplane.ts";
import type { Logger } from "./ops/logger.ts";
import { quote } from "./ops/logger.ts";
import { isWho, type Presence } from "./ops/presence.ts";
import type { ResolvedServerOptions } from "./options.ts";
import { ReadGate } from "./room/read_gate.ts";
import type { Room } from "./room/room.ts";
import type { Refusal } from "./stats.ts";
import { type AccountBook, Authentication } from "./accounts/authentication.ts";
import { AttemptPacer } from "./accounts/attempt_pacer.ts";

// A pending login younger than this is never closed to make room for a newcomer:
// a storm of real logins is not cut.
const EVICT_AFTER_MS = 1000;

/**
 * One admitted connection: its place in the limits, first held by its door, then
 * by its session.
 */
class Entry implements Ticket, AdmissionEntry {
  readonly connectedAt: number = Date.now();
  readonly addressKey: string;
  readonly origin: LinkOrigin;
  session: Session | undefined;
  #hub: Hub;
  #close: ((reason: CloseReason) => void) | undefined;

  constructor(hub: Hub, origin: LinkOrigin, key: string, close: (reason: CloseReason) => void) {
    this.#hub = hub;
    this.origin = origin;
    this.addressKey = key;
    this.#close = close;
  }

  open(link: Link): void {
    if (this.#close === undefined) {
      // Closed by the server while the door was still speaking with it.
      try {
        link.close();
      } catch {
        // Already closed.
      }
      return;
    }
    this.#close = undefined;
    this.#hub.openSession(this, link);
  }

  release(): void {
    if (this.#close === undefined) return;
    this.#close = undefined;
    this.#hub.released(this);
  }

  /** Ends the connection from the server's side, whoever holds it. */
  end(reason: DisconnectReason): void {
    if (this.session !== undefined) {
      this.session.close(reason);
      return;
    }
    const close = this.#close;
    if (close === undefined) return;
    this.#close = undefined;
    this.#hub.released(this, reason);
    close(reason);
  }

  evict(): void {
    this.end({
      text: "not logged in, closed to make room for a newcomer",
      level: "info",
      cause: "evicted",
    });
  }
}

/** The hub's counters that are not the room's. */
export interface HubCounters {
  /** Connections accepted since the start, refused ones included. */
  connections: number;
  /** Pending logins closed to make room for a newcomer. */
  evicted: number;
  /** Bytes of memory held by the connections' read buffers. */
  readBufferBytes: number;
  /** Frames from the cluster refused by the checks of `cluster/frame_check.ts`. */
  backplaneRefused: number;
  /** Connections refused, by reason. */
  readonly refusedBy: Record<Refusal, number>;
  /** Bytes read from and written to clients. */
  readonly traffic: { bytesIn: number; bytesOut: number };
}

/**
 * Admission, the login deadline, the sessions and the routing of what they
 * receive. The doors see it as their {@linkcode DoorHost}.
 */
export class Hub implements DoorHost {
  /** Lines for the log, from the doors. */
  readonly log: DoorLog;
  /**
   * Closed (reason `joining`) while the server joins its cluster: sessions read
   * nothing, not even a login, until it opens.
   */
  readonly opening: ReadGate = new ReadGate();
  /** What the hub counts. */
  readonly counters: HubCounters = {
    connections: 0,
    evicted: 0,
    readBufferBytes: 0,
    backplaneRefused: 0,
    refusedBy: {
      "server full": 0,
      "too many pending logins": 0,
      "too many from address": 0,
      "shutting down": 0,
      "name taken": 0,
    },
    traffic: { bytesIn: 0, bytesOut: 0 },
  };
  readonly #options: ResolvedServerOptions;
  readonly #logger: Logger;
  readonly #room: Room;
  readonly #presence: Presence;
  readonly #backplane: () => Backplane;
  readonly #admission: Admission<Entry>;
  readonly #sessionHost: SessionHost<Session>;
  readonly #accounts: AccountBook | undefined;
  readonly #pacer = new AttemptPacer();
  #loginTimer: ReturnType<typeof setTimeout> | undefined;
  #closing = false;
  #running = 0; // sessions still reading or writing
  #idle: (() => void) | undefined;

  /**
   * @param options The server's options.
   * @param logger Its log.
   * @param room The room sessions join.
   * @param presence The server's voice and the name claims.
   * @param backplane Where messages go to be ordered (the in-process one, or a cluster's).
   * @param accounts The accounts (`--data`), if any: registered names need their password.
   */
  constructor(
    options: ResolvedServerOptions,
    logger: Logger,
    room: Room,
    presence: Presence,
    backplane: () => Backplane,
    accounts?: AccountBook,
  ) {
    this.#accounts = accounts;
    this.#options = options;
    this.#logger = logger;
    this.#room = room;
    this.#presence = presence;
    this.#backplane = backplane;
    this.#admission = new Admission<Entry>({
      maxClients: options.maxClients,
      maxPendingLogins: options.maxPendingLogins,
      maxConnectionsPerIp: options.maxConnectionsPerIp,
      evictAfterMs: EVICT_AFTER_MS,
    });
    this.log = {
      error: (line) => logger.repeated("accept", "error", line),
      repeated: (key, level, line) => logger.repeated(key, level, line),
      info: (line) => logger.info(line),
    };
    this.#sessionHost = this.#makeSessionHost();
  }

  /** Connections open now, logged in or not. */
  get open(): number {
    return this.#admission.open;
  }

  /** Connections open now that have not logged in yet. */
  get pending(): number {
    return this.#admission.pending;
  }

  /** Door host: admits a connection just accepted, or says why not. */
  admit(origin: LinkOrigin, close: (reason: CloseReason) => void): Admitted {
    this.counters.connections++;
    // Keys only matter with a per-address limit; without one, none is worked out.
    const key = this.#options.maxConnectionsPerIp > 0 ? addressKey(origin.hostname) : "";
    const entry = new Entry(this, origin, key, close);
    const refusal = this.#closing
      ? "shutting down"
      : this.#admission.admit(entry, entry.connectedAt);
    if (refusal !== undefined) {
      this.counters.refusedBy[refusal]++;
      const text = this.#refusalText(refusal);
      this.#logger.repeated("refused", "warn", `${origin.peer} refused: ${text}`);
      return { refused: text };
    }
    if (this.#loginTimer === undefined) this.#armLoginTimer();
    return entry;
  }

  /** Entry: its door opens a session on it. */
  openSession(entry: Entry, link: Link): void {
    const session = new Session(link, entry.origin, entry, this.#sessionHost);
    entry.session = session;
    if (this.#logger.enabled("info")) {
      const door = entry.origin.door === "tcp" ? "" : ` over ${entry.origin.door}`;
      this.#logger.info(`${entry.origin.peer} connected${door} (${this.#admission.open} open)`);
    }
    this.#running++;
    session.run();
  }

  /** Entry: closed before any session, by its door or by the server. */
  released(entry: Entry, reason?: DisconnectReason): void {
    this.#admission.closed(entry);
    if (reason?.cause === "evicted") this.counters.evicted++;
    if (reason !== undefined && this.#logger.enabled(reason.level)) {
      this.#logger[reason.level](`${entry.origin.peer} disconnected: ${reason.text}`);
    }
  }

  /**
   * Stops admitting and closes every connection; resolves once every session has
   * stopped reading and writing.
   */
  close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#loginTimer);
    for (const entry of [...this.#admission.connections()]) {
      entry.end({ text: "server shutting down", level: "debug" });
    }
    if (this.#running === 0) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#idle = resolve;
    return promise;
  }

  #refusalText(reason: Refusal): string {
    const options = this.#options;
    switch (reason) {
      case "server full":
        return `server full (${options.maxClients} clients)`;
      case "too many pending logins":
        return `too many pending logins (${options.maxPendingLogins})`;
      case "too many from address":
        return `too many connections from this address (${options.maxConnectionsPerIp})`;
      default:
        return reason;
    }
  }

  // Why a login without proof may not have this name: it is registered, or only
  // registered names are admitted; undefined when it may (a promise of either
  // when the accounts are a cluster's).
  #unproven(username: string): string | undefined | Promise<string | undefined> {
    const decide = (registered: boolean) =>
      registered
        ? `the name ${JSON.stringify(username)} is registered`
        : this.#options.registeredOnly
        ? "this server admits registered names only: log in with a password"
        : undefined;
    const failed = (error: unknown) => {
      this.#logger.repeated("accounts", "error", `accounts: ${(error as Error).message}`);
      return "accounts cannot be checked now: try again later";
    };
    try {
      const account = this.#accounts!.account(username);
      if (!(account instanceof Promise)) return decide(account !== undefined);
      return account.then((found) => decide(found !== undefined), failed);
    } catch (error) {
      return failed(error);
    }
  }

  #armLoginTimer(): void {
    for (const oldest of this.#admission.pendingLogins()) {
      const delay = oldest.connectedAt + this.#options.loginTimeout - Date.now();
      this.#loginTimer = setTimeout(() => {
        this.#loginTimer = undefined;
        this.#expireLogins();
      }, Math.max(0, delay));
      return;
    }
  }

  #expireLogins(): void {
    const deadline = Date.now() - this.#options.loginTimeout;
    for (const pending of [...this.#admission.pendingLogins()]) {
      if (pending.connectedAt > deadline) break;
      pending.end({ text: "login timeout", level: "warn", cause: "login timeout" });
    }
    this.#armLoginTimer();
  }

  #makeSessionHost(): SessionHost<Session> {
    const options = this.#options;
    const logger = this.#logger;
    const room = this.#room;
    const presence = this.#presence;
    const counters = this.counters;
    const logTexts = logger.enabled("debug"); // decided once, not per message
    return {
      limits: { maxUsernameSize: options.maxUsernameSize, maxMessageSize: options.maxMessageSize },
      rate: { rate: options.maxMessageRate, burst: options.maxMessageBurst },
      room,
      opening: this.opening,
      traffic: counters.traffic,
      refuseLogin: (username, proven) => {
        const refuse = (text: string | undefined) =>
          text === undefined ? undefined : { text, frame: presence.refusal(text) };
        const claim = () => {
          const text = presence.claim(username);
          return text instanceof Promise ? text.then(refuse) : refuse(text);
        };
        if (proven || this.#accounts === undefined) return claim();
        const unproven = this.#unproven(username);
        if (unproven instanceof Promise) {
          return unproven.then((text) => text === undefined ? claim() : refuse(text));
        }
        if (unproven !== undefined) return refuse(unproven);
        return claim();
      },
      loginAbandoned: (username) => presence.unclaim(username),
      authenticate: (session) => {
        const accounts = this.#accounts;
        if (accounts === undefined) return undefined;
        // Past the marker, the login deadline gives way to the authentication's own.
        this.#admission.loggedIn(session.entry as Entry);
        return new Authentication({
          accounts,
          pacer: this.#pacer,
          address: addressKey((session.entry as Entry).origin.hostname),
          maxUsernameSize: options.maxUsernameSize,
        });
      },
      loggedIn: (session) => {
        this.#admission.loggedIn(session.entry as Entry);
        presence.joined(session);
        if (logger.enabled("info")) {
          logger.info(
            `${session.peer} logged in as ${quote(session.username!)} (${room.size} in the room)`,
          );
        }
      },
      received: (session, sender, text) => {
        if (this.#closing) return;
        if (isWho(text)) {
          // Refused before any work when the sender's private queue is full.
          if (session.canQueuePrivate()) room.tell(session, presence.who());
          return;
        }
        this.#backplane().publish(sender, text);
        if (logTexts) {
          logger.debug(
            `${session.peer} ${quote(session.username!)} says ${
              quote(new TextDecoder().decode(text))
            }`,
          );
        }
      },
      closed: (session, reason: DisconnectReason) => {
        this.#admission.closed(session.entry as Entry);
        room.leave(session);
        if (session.username !== undefined) {
          presence.left(session, reason.cause, this.#closing);
        }
        if (reason.cause === "evicted") counters.evicted++;
        if (reason.cause === "name taken") counters.refusedBy["name taken"]++;
        if (logger.enabled(reason.level)) {
          const who = session.username === undefined ? "" : ` ${quote(session.username)}`;
          logger[reason.level](`${session.peer}${who} disconnected: ${reason.text}`);
        }
      },
      ended: () => {
        if (--this.#running === 0) this.#idle?.();
      },
      readBuffer: (delta) => counters.readBufferBytes += delta,
    };
  }
}
