/**
 * The room's JetStream stream: its options, and its creation by whichever node
 * comes first.
 *
 * @module
 */

import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { LogLevel, NatsAuth } from "../../options.ts";
import { isNotFound } from "./nats_connection.ts";

/** The stream never holds fewer messages than this, whatever the histories in use. */
export const MIN_STREAM_MESSAGES = 10_000;

/**
 * What JetStream counts for a stored message beyond its data (subject, headers with the
 * message id, its own record), generously: a message holds at least one frame.
 */
const STORED_OVERHEAD_BYTES = 256;

/** How long JetStream remembers message ids to drop a republished message, at most. */
const DUPLICATE_WINDOW_MS = 120_000;

/** Options of {@linkcode NatsBackplane}. */
export interface NatsBackplaneOptions {
  /**
   * NATS server URLs, e.g. `nats://127.0.0.1:4222`. Credentials go in the URL as
   * NATS clients take them: `nats://user:password@host:port` or `nats://token@host:port`.
   */
  servers: readonly string[];
  /** How the node proves itself to NATS (see `NatsAuth` in server/options.ts). */
  auth?: NatsAuth;
  /** CA certificates (PEM) for TLS to NATS. */
  ca?: string;
  /**
   * The chat's name: letters, digits, `-` and `_`. Nodes with the same NATS and room
   * are one chat.
   *
   * @default {"wirechat"}
   */
  room?: string;
  /**
   * How many of the last frames {@linkcode NatsBackplane.start} delivers before it
   * resolves. The stream keeps at least the largest history of the nodes using it.
   *
   * @default {0}
   */
  history?: number;
  /**
   * The largest frame this node relays, in bytes: with the history, it sets the
   * stream's byte limit (`max_bytes`), which still keeps `history` frames of that size.
   *
   * @default {4137} (under the server's default limits: a 25-byte name, a 4 KiB notice)
   */
  maxFrameBytes?: number;
  /**
   * The age in seconds past which the stream drops a message. When nodes disagree,
   * the stream keeps the longest.
   *
   * @default {86400}
   */
  maxAgeSeconds?: number;
  /**
   * Frames held unpublished (NATS lost or slow) before the sink is told it is
   * congested; it is told it is not once they fall to half of this.
   *
   * @default {10000}
   */
  maxPending?: number;
  /**
   * How long {@linkcode NatsBackplane.start} tries to reach NATS, in milliseconds,
   * before it rejects.
   *
   * @default {5000}
   */
  connectTimeoutMs?: number;
  /**
   * How long {@linkcode NatsBackplane.close} tries to publish the frames it holds, in
   * milliseconds, before it disconnects anyway.
   *
   * @default {1000}
   */
  closeTimeoutMs?: number;
  /**
   * Receives one line per event (connection tries, loss, recovery), without
   * credentials.
   *
   * @default {() => {}}
   */
  log?: (level: LogLevel, line: string) => void;
}

/** The room's stream, as one node wants it. */
export interface StreamWanted {
  /** The stream's name. */
  readonly stream: string;
  /** The subjects it captures: users' messages, and the servers' notices. */
  readonly subjects: readonly string[];
  /** The history this node serves. */
  readonly history: number;
  /** How long the stream keeps messages, in seconds. */
  readonly maxAgeSeconds: number;
  /** The largest frame this node relays, in bytes. */
  readonly maxFrameBytes: number;
  /** Log lines. */
  readonly log: (level: LogLevel, line: string) => void;
}

/**
 * Creates the stream or widens its limits to this node's needs, never narrowing
 * what another node asked for; two nodes starting at once both end here.
 *
 * @returns The stream's last sequence and message count.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  wanted_: StreamWanted,
): Promise<{ lastSeq: number; messages: number }> {
  const maxMsgs = Math.max(wanted_.history, MIN_STREAM_MESSAGES);
  const maxBytes = maxMsgs * (wanted_.maxFrameBytes + STORED_OVERHEAD_BYTES);
  const maxAge = nanos(wanted_.maxAgeSeconds * 1000);
  for (let attempt = 1;; attempt++) {
    try {
      let info;
      try {
        info = await jsm.streams.info(wanted_.stream);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        info = await jsm.streams.add({
          name: wanted_.stream,
          subjects: [...wanted_.subjects],
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.Old,
          max_msgs: maxMsgs,
          max_bytes: maxBytes,
          max_age: maxAge,
          duplicate_window: nanos(Math.min(DUPLICATE_WINDOW_MS, wanted_.maxAgeSeconds * 1000)),
        });
        wanted_.log("info", `NATS stream ${wanted_.stream} created`);
      }
      const config: StreamConfig = info.config;
      const subjects = [...new Set([...(config.subjects ?? []), ...wanted_.subjects])];
      const wanted = {
        max_msgs: config.max_msgs < 0 ? config.max_msgs : Math.max(config.max_msgs, maxMsgs),
        max_bytes: config.max_bytes < 0 ? config.max_bytes : Math.max(config.max_bytes, maxBytes),
        max_age: config.max_age === 0 ? 0 : Math.max(config.max_age, maxAge),
        subjects,
      };
      if (
        wanted.max_msgs !== config.max_msgs || wanted.max_bytes !== config.max_bytes ||
        wanted.max_age !== config.max_age || subjects.length !== (config.subjects ?? []).length
      ) {
        info = await jsm.streams.update(wanted_.stream, { ...config, ...wanted });
        wanted_.log(
          "info",
          `NATS stream ${wanted_.stream} limits raised to ${wanted.max_msgs} messages, ${
            wanted.max_bytes < 0 ? "no byte limit" : `${wanted.max_bytes} bytes`
          }, ${wanted.max_age / 1e9} s`,
        );
      }
      return { lastSeq: info.state.last_seq, messages: info.state.messages };
    } catch (error) {
      // Another node created or updated the stream between our calls: look again.
      if (attempt >= 3) throw error;
    }
  }
}
