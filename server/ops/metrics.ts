/**
 * The operator's view of a running server: `/metrics` in the Prometheus text
 * format, `/healthz`, and the periodic stats line. Counters only: no user names,
 * no message texts.
 *
 * @module
 */

import type { ServerStats } from "../stats.ts";
import { counted } from "./logger.ts";

interface Metric {
  readonly name: string;
  readonly type: "counter" | "gauge";
  readonly help: string;
  readonly value: (stats: ServerStats) => number;
}

const METRICS: readonly Metric[] = [
  {
    name: "connections_open",
    type: "gauge",
    help: "Connections open now, logged in or not.",
    value: (s) => s.clients,
  },
  {
    name: "logged_in",
    type: "gauge",
    help: "Clients logged in now.",
    value: (s) => s.loggedIn,
  },
  {
    name: "pending_logins",
    type: "gauge",
    help: "Connections open now that have not logged in yet.",
    value: (s) => s.pendingLogins,
  },
  {
    name: "connections_total",
    type: "counter",
    help: "Connections accepted, refused ones included.",
    value: (s) => s.connections,
  },
  {
    name: "evicted_total",
    type: "counter",
    help: "Pending logins closed to make room for a newcomer.",
    value: (s) => s.evicted,
  },
  {
    name: "messages_total",
    type: "counter",
    help: "Messages appended to the room, server notices included.",
    value: (s) => s.messages,
  },
  {
    name: "deliveries_total",
    type: "counter",
    help: "Frames handed to clients: each message counts once per recipient.",
    value: (s) => s.deliveries,
  },
  {
    name: "bytes_in_total",
    type: "counter",
    help: "Bytes read from clients.",
    value: (s) => s.bytesIn,
  },
  {
    name: "bytes_out_total",
    type: "counter",
    help: "Bytes written to clients.",
    value: (s) => s.bytesOut,
  },
  {
    name: "slow_consumer_drops_total",
    type: "counter",
    help: "Clients dropped as slow consumers.",
    value: (s) => s.slowConsumerDrops,
  },
  {
    name: "pressure_pauses_total",
    type: "counter",
    help: "Times the room held senders back.",
    value: (s) => s.pressurePauses,
  },
  {
    name: "broadcast_log_bytes",
    type: "gauge",
    help: "Bytes held by the log of broadcast frames.",
    value: (s) => s.logBytes,
  },
  {
    name: "log_queue_bytes",
    type: "gauge",
    help: "Bytes of log lines queued for standard error.",
    value: (s) => s.logQueueBytes,
  },
  {
    name: "read_buffer_bytes",
    type: "gauge",
    help: "Bytes held by the connections' read buffers.",
    value: (s) => s.readBufferBytes,
  },
  {
    name: "history_size",
    type: "gauge",
    help: "Messages a newcomer receives as history now.",
    value: (s) => s.historySize,
  },
  {
    name: "backplane_connected",
    type: "gauge",
    help: "1 while the backplane is connected (always 1 without one).",
    value: (s) => s.backplaneConnected ? 1 : 0,
  },
  {
    name: "backplane_refused_total",
    type: "counter",
    help: "Frames from the cluster refused: garbage, bad names, forged server notices.",
    value: (s) => s.backplaneRefused,
  },
];

/**
 * Renders the server's figures in the Prometheus text format (version 0.0.4),
 * every name prefixed `wirechat_`.
 *
 * @example The figures of a server
 * ```ts
 * import { renderMetrics } from "./metrics.ts";
 * import { serve } from "../chat_server.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * const text = renderMetrics(server.stats);
 * assert.match(text, /^# TYPE wirechat_logged_in gauge$/m);
 * assert.match(text, /^wirechat_logged_in 0$/m);
 * assert.match(text, /^wirechat_refused_total\{reason="server full"\} 0$/m);
 * ```
 *
 * @param stats The server's figures.
 * @returns The text, one sample per line, ending with a line break.
 */
export function renderMetrics(stats: ServerStats): string {
  const lines: string[] = [];
  for (const metric of METRICS) {
    const name = `wirechat_${metric.name}`;
    lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} ${metric.type}`);
    lines.push(`${name} ${metric.value(stats)}`);
  }
  lines.push(
    "# HELP wirechat_refused_total Connections refused, by reason.",
    "# TYPE wirechat_refused_total counter",
  );
  for (const [reason, count] of Object.entries(stats.refusedBy)) {
    lines.push(`wirechat_refused_total{reason="${reason}"} ${count}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * The stats line logged every `--stats-interval`: the figures of `/metrics`.
 *
 * @param stats The server's figures.
 * @returns One line.
 */
export function statsLine(stats: ServerStats): string {
  return `stats: ${stats.clients} open, ${stats.loggedIn} logged in, ` +
    `${stats.pendingLogins} pending, ${stats.refused} refused, ` +
    `${counted(stats.messages, "message")}, ${counted(stats.deliveries, "delivery")}, ` +
    `${counted(stats.bytesIn, "byte")} in, ${counted(stats.bytesOut, "byte")} out, ` +
    `${counted(stats.slowConsumerDrops, "slow consumer")} dropped, ` +
    `${counted(stats.logBytes, "log byte")}, ${counted(stats.logQueueBytes, "log queue byte")}, ` +
    `history ${stats.historySize}, ` +
    `backplane ${stats.backplaneConnected ? "connected" : "lost"}`;
}

/** What the metrics door reads. */
export interface MetricsSource {
  /** The figures now. */
  readonly stats: ServerStats;
  /** Whether the server accepts connections (not shutting down). */
  readonly accepting: boolean;
}
