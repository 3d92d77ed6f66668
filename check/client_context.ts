/**
 * What a client case works with: the kit's scripted server, the client under
 * test started against it (with `{host}`, `{port}` and `{name}` filled in and
 * `TZ` set), and the waits and failures every case shares.
 *
 * @module
 */

import { fail } from "./case.ts";
import { ClientProcess } from "./client_process.ts";
import { type ScriptedConnection, ScriptedServer } from "./scripted_server.ts";
import { chatFrame, quote } from "./wire.ts";

/** The client under test and what was agreed with it. */
export interface ClientTarget {
  /** The program and its arguments, with `{host}`, `{port}` and `{name}` placeholders. */
  readonly command: readonly string[];
  /** The time zone the client runs in (its `TZ`), for the `HH:MM` it shows. */
  readonly tz: string;
  /** Milliseconds to wait for anything the client must do. */
  readonly timeoutMs: number;
  /** Milliseconds the client may take to start and connect. */
  readonly startTimeoutMs: number;
  /** Its `max-username-size`, in bytes. */
  readonly maxUsernameSize: number;
  /** Its `max-message-size`, in bytes. */
  readonly maxMessageSize: number;
}

/** A client started by a case: its process, its connection, its user name. */
export interface ClientSession {
  /** The process. */
  readonly client: ClientProcess;
  /** Its connection to the kit's server. */
  readonly conn: ScriptedConnection;
  /** The user name it was given. */
  readonly name: string;
}

/** The time zone the kit gives the client it starts, unless told otherwise: UTC+05:45. */
export const DEFAULT_TZ = "Asia/Kathmandu";

let runs = 0;

/**
 * Fills in the placeholders of a command.
 *
 * @example
 * ```ts
 * import { fillCommand } from "./client_context.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   fillCommand(["chat", "--port={port}", "{name}"], { host: "127.0.0.1", port: 9001, name: "kit" }),
 *   ["chat", "--port=9001", "kit"],
 * );
 * ```
 *
 * @param command The program and its arguments.
 * @param values What `{host}`, `{port}` and `{name}` stand for.
 * @returns The command to run.
 */
export function fillCommand(
  command: readonly string[],
  values: { host: string; port: number; name: string },
): string[] {
  return command.map((arg) =>
    arg.replaceAll("{host}", values.host).replaceAll("{port}", String(values.port))
      .replaceAll("{name}", values.name)
  );
}

/** What one client case works with; {@linkcode ClientContext.dispose} stops what it started. */
export class ClientContext {
  /** The client under test. */
  readonly target: ClientTarget;
  readonly #token: string;
  readonly #servers: ScriptedServer[] = [];
  readonly #clients: ClientProcess[] = [];
  readonly #clock: Intl.DateTimeFormat;
  #sentinels = 0;

  /** @param target The client under test. */
  constructor(target: ClientTarget) {
    this.target = target;
    this.#token = `${(Date.now() % 1296).toString(36)}${(runs++ % 1296).toString(36)}`;
    this.#clock = new Intl.DateTimeFormat("en-GB", {
      timeZone: target.tz,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
  }

  /** Milliseconds to wait for anything the client must do. */
  get timeout(): number {
    return this.target.timeoutMs;
  }

  /** Milliseconds to watch for something that must not happen. */
  get quiet(): number {
    return Math.min(this.target.timeoutMs, 500);
  }

  /**
   * `HH:MM` of a timestamp in the client's time zone.
   *
   * @param seconds Seconds of UNIX time.
   * @returns The time as the client must show it.
   */
  clock(seconds: number): string {
    return this.#clock.format(new Date(seconds * 1000));
  }

  /**
   * Starts the client against a new scripted server and reads its login.
   *
   * @returns The client, logged in.
   */
  async start(): Promise<ClientSession> {
    const server = new ScriptedServer();
    this.#servers.push(server);
    const name = `kit${this.#token}`.slice(0, this.target.maxUsernameSize);
    const command = fillCommand(this.target.command, {
      host: "127.0.0.1",
      port: server.port,
      name,
    });
    let client: ClientProcess;
    try {
      client = new ClientProcess(command, { TZ: this.target.tz });
    } catch (error) {
      fail(
        `the client starts: ${command.join(" ")}`,
        error instanceof Error ? error.message : String(error),
      );
    }
    this.#clients.push(client);
    const maxSize = Math.max(this.target.maxUsernameSize, this.target.maxMessageSize);
    const conn = await server.accept(maxSize, this.target.startTimeoutMs, client.exited);
    if (conn === undefined) {
      fail(
        `the client connects to 127.0.0.1:${server.port} within ${this.target.startTimeoutMs} ms`,
        client.status === undefined
          ? "it did not"
          : `it exited with status ${client.status.code}: ${quote(client.errors.trim(), 200)}`,
      );
    }
    await conn.until(
      () => conn.strings.length > 0 || conn.problem !== undefined || conn.ended,
      this.timeout,
    );
    const login = conn.strings[0];
    if (login === undefined || new TextDecoder().decode(login) !== name) {
      fail(
        `the client's first string is its user name ${quote(name)}`,
        login !== undefined
          ? `it was ${quote(new TextDecoder().decode(login))}`
          : conn.problem ?? (conn.ended ? "it closed the connection" : "nothing arrived"),
      );
    }
    return { client, conn, name };
  }

  /**
   * Sends a frame to the client.
   *
   * @param session The client.
   * @param user The sender's name.
   * @param text The message.
   * @param timestamp Seconds of UNIX time (now by default).
   */
  async frame(
    session: ClientSession,
    user: string | Uint8Array,
    text: string | Uint8Array,
    timestamp = Math.floor(Date.now() / 1000),
  ): Promise<void> {
    await session.conn.send(chatFrame(timestamp, user, text));
  }

  /**
   * Waits for a line of output that contains `expected`; fails otherwise.
   *
   * @param session The client.
   * @param expected The text the line holds, such as `<12:00> [bob] hi`.
   * @returns The index of the line.
   */
  async expectLine(session: ClientSession, expected: string): Promise<number> {
    const find = () => session.client.lines.findIndex((line) => line.includes(expected));
    await session.client.until(() => find() >= 0, this.timeout);
    const index = find();
    if (index < 0) {
      fail(`a line of output with ${quote(expected)}`, this.describe(session));
    }
    return index;
  }

  /**
   * Sends a harmless frame and waits until the client shows it, so that
   * everything sent before it has been shown; fails when it is not.
   *
   * @param session The client.
   * @returns The lines of output before the sentinel's line.
   */
  async sentinel(session: ClientSession): Promise<string[]> {
    const text = `sentinel ${++this.#sentinels}`;
    const now = Math.floor(Date.now() / 1000);
    await this.frame(session, "kit", text, now);
    const index = await this.expectLine(session, `[kit] ${text}`);
    return session.client.lines.slice(0, index);
  }

  /**
   * Waits until the client has sent `count` messages after its login.
   *
   * @param session The client.
   * @param count How many.
   * @param what What they are, for the report.
   * @returns The messages, decoded.
   */
  async expectMessages(session: ClientSession, count: number, what: string): Promise<string[]> {
    const { conn } = session;
    await conn.until(
      () => conn.strings.length > count || conn.problem !== undefined,
      this.timeout,
    );
    const messages = conn.strings.slice(1).map((bytes) => new TextDecoder().decode(bytes));
    if (conn.problem !== undefined || messages.length < count) {
      fail(
        what,
        conn.problem ??
          `${messages.length} message${messages.length === 1 ? "" : "s"} arrived: ${
            messages.map((m) => quote(m)).join(", ") || "none"
          }${conn.ended ? "; the client closed its connection" : ""}`,
      );
    }
    return messages;
  }

  /**
   * The client's state, for a report: its output and whether it runs.
   *
   * @param session The client.
   * @returns One line.
   */
  describe(session: ClientSession): string {
    const { client } = session;
    const lines = client.lines;
    const shown = lines.slice(-4).map((line) => quote(line, 80)).join(", ");
    const state = client.status === undefined
      ? "still running"
      : `exited with status ${client.status.code}`;
    return `${lines.length} line${lines.length === 1 ? "" : "s"} of output${
      lines.length > 0 ? ` (the last: ${shown})` : ""
    }; ${state}`;
  }

  /** Stops every client and server of the case. */
  async dispose(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.stop()));
    await Promise.all(this.#servers.map((server) => server.close()));
  }
}
