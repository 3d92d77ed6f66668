/**
 * The reading half of the NATS backplane: the room's stream read through an ordered
 * consumer, each stream message split into its frames and delivered once, in stream
 * order, resuming after the last one delivered.
 *
 * @module
 */

import { type ConsumerMessages, DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { type BackplaneSink, splitRelayFrames } from "../backplane.ts";
import type { LogLevel } from "../../options.ts";
import { oneLineMessage } from "../../../cli/error_message.ts";
import { RETRY_DELAY_MS } from "./nats_connection.ts";
import type { OwnMessages } from "./own_messages.ts";

/** Messages one pull of the consumer asks for. */
const PULL_BATCH = 256;
/** The header that holds a stream message's id. */
const MESSAGE_ID = "Nats-Msg-Id";

/** What the reader needs from its backplane. */
export interface ReaderHost {
  /** The room's stream. */
  readonly stream: string;
  /** The subject of the servers' own notices. */
  readonly voiceSubject: string;
  /** Where frames go. */
  readonly sink: BackplaneSink;
  /** This node's own stream messages: whether a live one may wait for the next. */
  readonly own: OwnMessages;
  /** Log lines. */
  log(level: LogLevel, line: string): void;
  /** Whether the backplane is closed. */
  closed(): boolean;
  /** Waits, or less when the backplane reconnects or closes. */
  delay(milliseconds: number): Promise<void>;
}

/** Where a frame came from: as {@linkcode BackplaneSink.deliver} is told. */
interface DeliveredFrom {
  readonly voice: boolean;
  readonly seq: number;
  readonly mayWait?: boolean;
}

/**
 * Reads the room's stream for its backplane: the last `history` frames first, then
 * live ones, each once; paused, resumed and restarted (after a reconnection) from
 * its own cursor.
 */
export class NatsReader {
  readonly #host: ReaderHost;
  readonly #history: number;
  #js: JetStreamClient | undefined;
  // The stream sequence of the last message delivered to the sink.
  #lastSeq = 0;
  #paused = false;
  #generation = 0;
  #messages: ConsumerMessages | undefined;
  #consuming: Promise<void> | undefined;
  #historyTarget = 0;
  #historyDone: (() => void) | undefined;
  // The history read at start, cut to the last `history` frames before delivery (a
  // stream message may hold several).
  readonly #replayed: LastFrames;
  #reading: (() => void) | undefined;

  /**
   * @param host What it needs from its backplane.
   * @param history Frames delivered from before the start.
   */
  constructor(host: ReaderHost, history: number) {
    this.#host = host;
    this.#history = history;
    this.#replayed = new LastFrames(history);
  }

  /** The reading under way, if any. */
  get consuming(): Promise<void> | undefined {
    return this.#consuming;
  }

  /**
   * Starts reading through `js`, from the message that holds the history's start.
   *
   * @param lastSeq The stream's last sequence now.
   * @param messages The stream's message count now.
   * @returns The first sequence read, once the history is delivered and the consumer reads.
   */
  async start(js: JetStreamClient, lastSeq: number, messages: number): Promise<number> {
    this.#js = js;
    this.#lastSeq = this.#history > 0 && messages > 0
      ? Math.max(0, lastSeq - this.#history)
      : lastSeq;
    const historyDone = new Promise<void>((resolve) => {
      if (this.#lastSeq >= lastSeq) return resolve();
      this.#historyTarget = lastSeq;
      this.#historyDone = resolve;
    });
    const from = this.#lastSeq + 1;
    const reading = new Promise<void>((resolve) => this.#reading = resolve);
    this.restart();
    await Promise.all([reading, historyDone]);
    return from;
  }

  /** Stops pulling until {@linkcode resume}; no frame is delivered. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.stop();
  }

  /** Pulls and delivers again, from the frame after the last one delivered. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.restart();
  }

  /** Reads again from its own cursor (the server's consumer may be gone), unless paused. */
  restart(): void {
    if (this.#js === undefined || this.#paused || this.#host.closed()) return;
    this.stop();
    const generation = this.#generation;
    const previous = this.#consuming ?? Promise.resolve();
    const next: Promise<void> = previous.then(() => this.#consume(generation));
    this.#consuming = next;
    next.finally(() => {
      if (this.#consuming === next) this.#consuming = undefined;
    });
  }

  /** Stops reading. */
  stop(): void {
    this.#generation++;
    const messages = this.#messages;
    this.#messages = undefined;
    messages?.stop();
  }

  /** Lets a {@linkcode start} still waiting return (the backplane is closing). */
  release(): void {
    this.#historyDone?.();
    this.#reading?.();
  }

  #current(generation: number): boolean {
    return generation === this.#generation && !this.#host.closed();
  }

  // Reads the stream from the message after the last delivered one, through an
  // ordered consumer, until a newer generation replaces it (pause, reconnection, close).
  async #consume(generation: number): Promise<void> {
    const host = this.#host;
    let failing = false;
    while (this.#current(generation)) {
      let messages: ConsumerMessages;
      try {
        const consumer = await this.#js!.consumers.get(host.stream, {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.#lastSeq + 1,
        });
        if (!this.#current(generation)) return;
        messages = await consumer.consume({ max_messages: PULL_BATCH });
      } catch (error) {
        if (!this.#current(generation)) return;
        if (!failing) {
          failing = true;
          host.log(
            "warn",
            `NATS stream ${host.stream} cannot be read yet: ${oneLineMessage(error)}`,
          );
        }
        await host.delay(RETRY_DELAY_MS);
        continue;
      }
      if (!this.#current(generation)) {
        messages.stop();
        return;
      }
      this.#messages = messages;
      this.#reading?.();
      this.#reading = undefined;
      try {
        for await (const message of messages) {
          if (!this.#current(generation)) break;
          if (message.seq <= this.#lastSeq) continue;
          this.#lastSeq = message.seq;
          const voice = message.subject === host.voiceSubject;
          const frames = splitRelayFrames(message.data);
          if (this.#historyDone === undefined) {
            const id = message.headers?.get(MESSAGE_ID);
            const mayWait = host.own.mayWait(id, performance.now());
            const from = { voice, seq: message.seq, mayWait };
            for (const frame of frames) this.#deliver(frame, from);
            continue;
          }
          const from = { voice, seq: message.seq };
          this.#replayed.keep(frames, from);
          if (message.seq >= this.#historyTarget || message.info.pending === 0) {
            for (const [frame, at] of this.#replayed.take()) this.#deliver(frame, at);
            this.#historyDone();
            this.#historyDone = undefined;
          }
        }
      } catch (error) {
        if (this.#current(generation)) {
          host.log("warn", `NATS stream ${host.stream} read failed: ${oneLineMessage(error)}`);
        }
      }
      if (this.#messages === messages) this.#messages = undefined;
      messages.stop();
      if (this.#current(generation)) await host.delay(RETRY_DELAY_MS);
    }
  }

  // One frame the room refuses (a fault of ours) costs that frame, not the ones after it.
  #deliver(frame: Uint8Array, from: DeliveredFrom): void {
    try {
      this.#host.sink.deliver(frame, from);
    } catch (error) {
      this.#host.log("error", `NATS backplane: the room refused a frame: ${oneLineMessage(error)}`);
    }
  }
}

// The last `count` frames kept (copied: a message's data lives as long as the message).
class LastFrames {
  readonly #count: number;
  #kept: [Uint8Array, DeliveredFrom][] = [];

  constructor(count: number) {
    this.#count = count;
  }

  keep(frames: readonly Uint8Array[], from: DeliveredFrom): void {
    for (const frame of frames) this.#kept.push([frame.slice(), from]);
    if (this.#kept.length >= 2 * this.#count) this.#kept = this.take();
  }

  take(): [Uint8Array, DeliveredFrom][] {
    const kept = this.#kept.slice(Math.max(0, this.#kept.length - this.#count));
    this.#kept = [];
    return kept;
  }
}
