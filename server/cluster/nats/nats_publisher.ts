/**
 * The publishing half of the NATS backplane: the frames this node accepted, held
 * in order until JetStream acknowledges them, published in batches.
 *
 * The frames pushed in one task go together in one stream message (its data is the
 * frames one after the other), and up to four stream messages are out at once:
 * frames that come while four wait for their acknowledgements go together in the
 * next. A busy room costs JetStream, NATS and every node one message per batch
 * instead of one per frame, and a frame does not wait for the acknowledgement of
 * the one before to be sent.
 *
 * @module
 */

import type { JetStreamClient } from "@nats-io/jetstream";
import type { LogLevel } from "../../options.ts";
import { oneLineMessage } from "../../../cli/error_message.ts";
import { concatBytes } from "../../../io/write_all.ts";
import { REQUEST_TIMEOUT_MS, RETRY_DELAY_MS } from "./nats_connection.ts";
import type { OwnMessages } from "./own_messages.ts";

/**
 * Stream messages out at once, awaiting their acknowledgements. One at a time made
 * every frame wait for the acknowledgement before it; with four, two nodes relayed
 * about an eighth more at fan-out to 100 (two, four and eight were alike).
 */
export const PUBLISH_WINDOW = 4;
/** The most bytes of frames one stream message carries (unless one frame is larger). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

// One stream message: frames of one subject, sent together once sealed.
interface Outgoing {
  readonly subject: string;
  readonly id: string;
  // Whether the caller named its id: then it carries that frame alone.
  readonly named: boolean;
  readonly frames: Uint8Array[];
  bytes: number;
  // Its data, once sent: a retry sends the same bytes under the same id.
  data: Uint8Array | undefined;
}

/** What the publisher needs from its backplane. */
export interface PublisherHost {
  /** This node's message ids: makes them, and is told of every stream message sent. */
  readonly own: OwnMessages;
  /** Frames held before the backplane says it is congested. */
  readonly maxPending: number;
  /** Log lines. */
  log(level: LogLevel, line: string): void;
  /** Whether NATS is connected now. */
  connected(): boolean;
  /** Whether the backplane is closed. */
  closed(): boolean;
  /** The backplane holds more than `maxPending` frames (`true`), or half as many again. */
  congested(on: boolean): void;
  /** Waits, or less when the backplane reconnects or closes. */
  delay(milliseconds: number): Promise<void>;
}

/**
 * Frames to publish, oldest first, in stream messages of several frames, up to
 * {@linkcode PUBLISH_WINDOW} out at once: a retry goes out in order, and the
 * message id makes a retry of a stored message harmless.
 */
export class NatsPublisher {
  readonly #host: PublisherHost;
  #js: JetStreamClient | undefined;
  // Stream messages to publish, oldest first, from index #head on.
  #pending: Outgoing[] = [];
  #head = 0;
  #frames = 0;
  #congested = false;
  #kicked = false;
  #pumping: Promise<void> | undefined;
  #publishFailing = false;
  #lastAckSeq = 0;
  #reordered = false;
  // Wakes the publishing waiting for an acknowledgement: frames were pushed.
  #wake: (() => void) | undefined;

  /** @param host What it needs from its backplane. */
  constructor(host: PublisherHost) {
    this.#host = host;
  }

  /** Frames accepted and not yet acknowledged by JetStream. */
  get pending(): number {
    return this.#frames;
  }

  /** The publishing under way, if any. */
  get publishing(): Promise<void> | undefined {
    return this.#pumping;
  }

  /** Starts publishing through `js` (frames pushed before wait until now). */
  start(js: JetStreamClient): void {
    this.#js = js;
    this.#pump();
  }

  /**
   * Queues a frame.
   *
   * @param subject Where it is published.
   * @param frame The encoded frame, kept until acknowledged.
   * @param id Its JetStream message id; without one, a fresh one of this node's.
   */
  push(subject: string, frame: Uint8Array, id?: string): void {
    this.#frames++;
    const last = this.#pending.length > this.#head
      ? this.#pending[this.#pending.length - 1]
      : undefined;
    if (
      id === undefined && last !== undefined && last.data === undefined && !last.named &&
      last.subject === subject && last.bytes + frame.length <= MAX_MESSAGE_BYTES
    ) {
      last.frames.push(frame);
      last.bytes += frame.length;
    } else {
      this.#pending.push({
        subject,
        id: id ?? this.#host.own.nextId(),
        named: id !== undefined,
        frames: [frame],
        bytes: frame.length,
        data: undefined,
      });
    }
    if (!this.#congested && this.pending >= this.#host.maxPending) {
      this.#congested = true;
      this.#host.log(
        "warn",
        `NATS backplane holds ${this.pending} unpublished messages: congested`,
      );
      this.#host.congested(true);
    }
    // The frames decoded from one read come one by one: let them all join before the
    // first goes out, or it would go alone.
    if (!this.#kicked) {
      this.#kicked = true;
      queueMicrotask(this.#kick);
    }
  }

  /** Starts publishing what waits now, rather than at the end of this task; the publishing under way. */
  flush(): Promise<void> | undefined {
    this.#pump();
    return this.#pumping;
  }

  readonly #kick = () => {
    this.#kicked = false;
    this.#wake?.();
    this.#pump();
  };

  readonly #wakeUp = () => this.#wake?.();

  #pump(): void {
    if (this.#pumping !== undefined || this.#js === undefined || this.pending === 0) return;
    this.#pumping = this.#publishAll(this.#js).finally(() => {
      this.#pumping = undefined;
      if (!this.#host.closed()) this.#pump();
    });
  }

  // Publishes the pending stream messages in order, up to PUBLISH_WINDOW out at
  // once, each sent as soon as it is sealed and the window has room. On a failure,
  // it waits for the others out, then sends again from the first one not
  // acknowledged: a retry goes out in order, and the message id makes a retry of a
  // stored message harmless. Only a message lost while a later one was stored (a
  // connection dying with several out) could land out of order: that is detected
  // from the stream sequences and logged.
  async #publishAll(js: JetStreamClient): Promise<void> {
    const out: Sent[] = [];
    while (this.pending > 0 && !this.#host.closed()) {
      if (out.length === 0 && !this.#host.connected()) {
        // The client would buffer the requests and time them out: wait for NATS.
        await this.#host.delay(REQUEST_TIMEOUT_MS);
        continue;
      }
      while (out.length < PUBLISH_WINDOW && this.#head + out.length < this.#pending.length) {
        const message = this.#pending[this.#head + out.length]!;
        this.#host.own.sent(message.id, performance.now());
        out.push(new Sent(js, message, this.#wakeUp));
      }
      // Woken by an acknowledgement (or a failure), or by frames pushed meanwhile.
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
      if (this.#host.closed()) return;
      let stored = 0;
      let failure: unknown;
      while (out.length > 0 && out[0]!.done) {
        const sent = out.shift()!;
        if (sent.failure !== undefined) {
          failure = sent.failure;
          break;
        }
        if (sent.seq < this.#lastAckSeq && !this.#reordered) {
          this.#reordered = true;
          this.#host.log("warn", "NATS outage put some of this node's messages out of their order");
        }
        this.#lastAckSeq = sent.seq;
        stored++;
      }
      this.#acknowledged(stored);
      if (failure === undefined) {
        if (this.#publishFailing && stored > 0) {
          this.#publishFailing = false;
          this.#host.log("info", `NATS publish works again, ${this.pending} messages held`);
        }
        continue;
      }
      await Promise.all(out.map((sent) => sent.settled));
      out.length = 0;
      if (!this.#publishFailing) {
        this.#publishFailing = true;
        this.#host.log(
          "warn",
          `NATS publish failed, ${this.pending} messages held: ${oneLineMessage(failure)}`,
        );
      }
      await this.#host.delay(RETRY_DELAY_MS);
    }
  }

  // Drops the first `count` pending stream messages, published.
  #acknowledged(count: number): void {
    for (let i = this.#head; i < this.#head + count; i++) {
      this.#frames -= this.#pending[i]!.frames.length;
    }
    this.#pending.fill(undefined as unknown as Outgoing, this.#head, this.#head + count);
    this.#head += count;
    if (this.#head >= 1024 && this.#head * 2 >= this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    if (this.#congested && this.pending <= this.#host.maxPending >> 1) {
      this.#congested = false;
      this.#host.log("info", `NATS backplane holds ${this.pending} unpublished messages: flowing`);
      this.#host.congested(false);
    }
  }
}

// The message's data, made once: later frames go to the next message.
function sealed(message: Outgoing): Uint8Array {
  return message.data ??= concatBytes(message.frames);
}

// One stream message sent: its acknowledgement's sequence, or why it failed.
class Sent {
  done = false;
  seq = 0;
  failure: unknown;
  readonly settled: Promise<void>;

  /** Sends `message`; `settled` calls `wake`. */
  constructor(js: JetStreamClient, message: Outgoing, wake: () => void) {
    this.settled = js.publish(message.subject, sealed(message), {
      msgID: message.id,
      timeout: REQUEST_TIMEOUT_MS,
    }).then(
      (ack) => {
        this.seq = ack.seq;
        this.done = true;
        wake();
      },
      (error) => {
        this.failure = error ?? new Error("publish failed");
        this.done = true;
        wake();
      },
    );
  }
}
