/**
 * The in-process backplane: the default when the server is one process. Every
 * message goes into the room at once, so the room never asks whether there is a
 * cluster.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import type { Room } from "../room/room.ts";

/**
 * The backplane of a single process: {@linkcode LocalBackplane.publish} appends
 * to the room directly, in the order of the calls.
 */
export class LocalBackplane implements Backplane {
  readonly #room: Room;

  /** @param room The room every message goes into. */
  constructor(room: Room) {
    this.#room = room;
  }

  /** Nothing to connect to: resolves at once. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Appends the message to the room now (an id has nothing to de-duplicate here). */
  publish(sender: Uint8Array, text: Uint8Array): void {
    this.#room.publish(sender, text);
  }

  /** Nothing to pause: the room's members read from the room's log. */
  pause(): void {}

  /** Nothing to resume. */
  resume(): void {}

  /** Nothing to close. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
