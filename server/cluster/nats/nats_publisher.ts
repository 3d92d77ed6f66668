/**
 * The publishing half of the NATS backplane: the frames this node accepted, held
 * in order until JetStream acknowledges them, published in batches.
 *
 * Frames that wait while a batch is out go together in one stream message (its
 * data is the frames one after the other), so a busy room costs JetStream, NATS
 * and every node one message per batch instead of one per frame.
 *
 * @module
 */

import type { JetStreamClient } from "@nats-io/jetstream";
import type { LogLevel } from "../../options.ts";
import { oneLineMessage } from "../../../cli/error_message.ts";
import { concatBytes } from "../../../io/write_all.ts";
import { REQUEST_TIMEOUT_MS, RETRY_DELAY_MS } from "./nats_connection.ts";

/** Stream messages sent before their acknowledgements are awaited. */
const PUBLISH_BATCH = 256;
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
  /** This node's id, the prefix of its message ids. */
  readonly nodeId: string;
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
 * Frames to publish, oldest first, published in batches of up to 256: a retry
 * goes out in order, and the message id makes a retry of a stored frame harmless.
 */
export class NatsPublisher {
  readonly #host: PublisherHost;
  #js: JetStreamClient | undefined;
  // Stream messages to publish, oldest first, from index #head on.
  #pending: Outgoing[] = [];
  #head = 0;
  #frames = 0;
  #counter = 0;
  #congested = false;
  #kicked = false;
  #pumping: Promise<void> | undefined;
  #publishFailing = false;
  #lastAckSeq = 0;
  #reordered = false;

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
        id: id ?? `${this.#host.nodeId}-${++this.#counter}`,
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
    this.#pump();
  };

  #pump(): void {
    if (this.#pumping !== undefined || this.#js === undefined || this.pending === 0) return;
    this.#pumping = this.#publishAll(this.#js).finally(() => {
      this.#pumping = undefined;
      if (!this.#host.closed()) this.#pump();
    });
  }

  // Publishes in batches of up to PUBLISH_BATCH frames, all sent before the first
  // acknowledgement is awaited; the next batch starts at the first frame not
  // acknowledged, so a retry goes out in order, and the message id makes a retry of
  // a stored frame harmless. Only a frame lost while a later one of the same batch
  // was stored (a connection dying mid-batch) could land out of order: that is
  // detected from the stream sequences and logged.
  async #publishAll(js: JetStreamClient): Promise<void> {
    while (this.pending > 0 && !this.#host.closed()) {
      if (!this.#host.connected()) {
        // The client would buffer the requests and time them out: wait for NATS.
        await this.#host.delay(REQUEST_TIMEOUT_MS);
        continue;
      }
      const batch = this.#pending.slice(this.#head, this.#head + PUBLISH_BATCH);
      const results = await Promise.allSettled(
        batch.map((next) =>
          js.publish(next.subject, sealed(next), {
            msgID: next.id,
            timeout: REQUEST_TIMEOUT_MS,
          })
        ),
      );
      if (this.#host.closed()) return;
      let stored = 0;
      let failure: unknown;
      for (const result of results) {
        if (result.status === "rejected") {
          failure = result.reason;
          break;
        }
        if (result.value.seq < this.#lastAckSeq && !this.#reordered) {
          this.#reordered = true;
          this.#host.log("warn", "NATS outage put some of this node's messages out of their order");
        }
        this.#lastAckSeq = result.value.seq;
        stored++;
      }
      this.#acknowledged(stored);
      if (failure === undefined) {
        if (this.#publishFailing) {
          this.#publishFailing = false;
          this.#host.log("info", `NATS publish works again, ${this.pending} messages held`);
        }
        continue;
      }
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
