/**
 * What a run of the load generator measured.
 *
 * @module
 */

/** Latency percentiles, in microseconds. */
export interface LatencySummary {
  /** The median. */
  p50: number;
  /** The 90th percentile. */
  p90: number;
  /** The 99th percentile. */
  p99: number;
  /** The largest. */
  max: number;
}

/** Deliveries per second of the clients: the slowest, the average and the fastest. */
export interface PerClientRates {
  /** The slowest client's deliveries per second. */
  min: number;
  /** The average over the clients. */
  avg: number;
  /** The fastest client's deliveries per second. */
  max: number;
}

/** Why a run stopped. */
export type StopReason =
  | "done"
  | "stall"
  | "duration-limit"
  | "connect failed"
  | "disconnect during login"
  | "aborted";

/** What a run measured. */
export interface LoadResult {
  /** `load` when messages were sent, `hold` for a hold. */
  mode: "load" | "hold";
  /** Clients connected. */
  clients: number;
  /** Clients that sent. */
  senders: number;
  /** Message body size in bytes. */
  size: number;
  /** Window of un-echoed messages per sender. */
  window: number;
  /** Messages each sender was to send. */
  messagesPerSender: number;
  /** Messages sent in all. */
  messagesSent: number;
  /** Deliveries due: messages sent × clients still connected. */
  deliveriesExpected: number;
  /** Deliveries received and valid. */
  deliveriesReceived: number;
  /** Deliveries due to a connected client that never arrived. */
  lost: number;
  /** Deliveries that arrived after a later message of the same sender. */
  orderViolations: number;
  /** Frames that failed a check, or could not be decoded. */
  invalidFrames: number;
  /** Connections the server closed, or that failed, during the run. */
  disconnects: number;
  /** Connections that could not be opened. */
  connectFailures: number;
  /** Whether the run finished (`stopReason` is `done`). */
  completed: boolean;
  /** Why it stopped. */
  stopReason: StopReason;
  /** Whether it finished with nothing lost, reordered, invalid or cut off. */
  ok: boolean;
  /** Seconds from the first message sent to the last delivery (or of the hold). */
  elapsedS: number;
  /** Messages sent per second. */
  messagesPerS: number;
  /** Deliveries received per second. */
  deliveriesPerS: number;
  /**
   * Deliveries per second of each client still connected, over its own time: from
   * the start of the run to its last delivery (zeros for a hold).
   */
  perClient: PerClientRates;
  /** Latency from send to each delivery. */
  latencyUs: LatencySummary;
  /** Deliveries whose latency was recorded. */
  latencySamples: number;
  /** Seconds from the first connect until every client had received a sync message. */
  connectS: number;
  /** Seconds from the first connect until every connection was open. */
  tcpConnectS: number;
  /** Sync rounds sent. */
  syncRounds: number;
  /** CPU seconds the load generator's process used while running or holding. */
  cpuS: number;
  /** `cpuS / elapsedS`: near 1 means the load generator was the bottleneck. */
  cpuUtil: number;
}
