/**
 * The backplane of a single process with `--data`: like `LocalBackplane`, every
 * message goes into the room at once; each is also handed to the
 * {@linkcode HistoryWriter}, which writes it to the store in a later batch.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import type { Room } from "../room/room.ts";
import type { HistoryWriter } from "../store/history_writer.ts";

/** The in-process backplane that also keeps the history on disk. */
export class StoredBackplane implements Backplane {
  readonly #room: Room;
  readonly #writer: HistoryWriter;

  /**
   * @param room The room every message goes into.
   * @param writer Where each message goes to be stored.
   */
  constructor(room: Room, writer: HistoryWriter) {
    this.#room = room;
    this.#writer = writer;
  }

  /** Nothing to connect to: resolves at once. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Appends the message to the room now, and queues it for the store. */
  publish(sender: Uint8Array, text: Uint8Array): void {
    const timestamp = Math.floor(Date.now() / 1000);
    this.#room.publish(sender, text, timestamp);
    this.#writer.add(timestamp, sender, text);
  }

  /** Nothing to pause: the room's members read from the room's log. */
  pause(): void {}

  /** Nothing to resume. */
  resume(): void {}

  /** Writes what waits for the store. */
  close(): Promise<void> {
    this.#writer.close();
    return Promise.resolve();
  }
}
