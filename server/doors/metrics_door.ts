/**
 * The metrics door: `/metrics` (Prometheus text) and `/healthz` over HTTP, on
 * the HTTP door, so that its connections count against the server's limits,
 * slow ones are closed at the header deadline, and running out of file
 * descriptors never ends the process.
 *
 * @module
 */

import type { Door, DoorHost } from "./door.ts";
import { openHttpDoor } from "./http_door.ts";
import { type MetricsSource, renderMetrics } from "../ops/metrics.ts";
import { formatHostPort } from "../../cli/host_port.ts";

/** Where the metrics door listens. */
export interface MetricsDoorOptions {
  /** The address to listen on. */
  readonly hostname: string;
  /** The port; 0 picks a free one. */
  readonly port: number;
  /**
   * Milliseconds a connection has to send a complete request head.
   *
   * @default {10000}
   */
  readonly headerTimeoutMs?: number;
}

/**
 * Opens the metrics door: `GET /metrics` answers the figures of `source` in the
 * Prometheus text format; `GET /healthz` answers 200 while the server accepts
 * with its backplane connected, 503 otherwise. Requires `--allow-net`.
 *
 * @example The door beside the others
 * ```ts ignore
 * const door = openMetricsDoor({ hostname: "127.0.0.1", port: 9100 }, hub, server);
 * ```
 *
 * @param options Where to listen.
 * @param host The server: admission.
 * @param source The figures it reports.
 * @returns The door, accepting.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 */
export function openMetricsDoor(
  options: MetricsDoorOptions,
  host: DoorHost,
  source: MetricsSource,
): Door {
  const door = openHttpDoor({ name: "metrics", ...options }, host, {
    request(request, response) {
      const url = request.url ?? "/";
      const path = url.split(/[?#]/, 1)[0];
      const answer = (status: number, body: string, type = "text/plain; charset=utf-8") => {
        response.writeHead(status, { "content-type": type });
        response.end(body);
      };
      if (request.method !== "GET" && request.method !== "HEAD") {
        return answer(405, "method not allowed\n");
      }
      if (path === "/metrics") {
        return answer(200, renderMetrics(source.stats), "text/plain; version=0.0.4; charset=utf-8");
      }
      if (path === "/healthz") {
        if (!source.accepting) return answer(503, "shutting down\n");
        return source.stats.backplaneConnected
          ? answer(200, "ok\n")
          : answer(503, "backplane lost\n");
      }
      return answer(404, "not found\n");
    },
  });
  const where = formatHostPort(door.addr.hostname, door.addr.port);
  host.log.info(`metrics on http://${where}/metrics`);
  return door;
}
