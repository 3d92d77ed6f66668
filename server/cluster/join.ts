/**
 * Joining a cluster: the NATS driver (backplane and roster), loaded only when a
 * server is given `--nats`.
 *
 * @module
 */

import type { Backplane, BackplaneSink } from "./backplane.ts";
import {
  checkRelayFrame,
  type FrameFault,
  type FrameLimits,
  largestRelayFrame,
} from "./frame_check.ts";
import type { ClusterRoster, RosterMember } from "../ops/presence.ts";
import type { LogLevel, NatsOptions } from "../options.ts";
import type { AccountBook } from "../accounts/authentication.ts";

/** What joining a cluster needs from the server. */
export interface ClusterJoin {
  /** The NATS servers, room and limits. */
  readonly nats: NatsOptions;
  /** Messages a newcomer receives as history. */
  readonly history: number;
  /** Whether names are unique across the cluster. */
  readonly uniqueNames: boolean;
  /** Where the room's frames go, once checked. */
  readonly sink: BackplaneSink;
  /** The limits and name rules every frame from the cluster must keep. */
  readonly limits: FrameLimits;
  /** A frame from the cluster was refused (counted for the metrics). */
  rejected(fault: FrameFault): void;
  /** A member of another node is gone (its node died or left). */
  gone(node: string, member: RosterMember): void;
  /** This node lost the claim of a name (away longer than the lease). */
  lost(key: string): void;
  /** Whether the server began to shut down meanwhile. */
  closing(): boolean;
  /** Log lines. */
  log(level: LogLevel, line: string): void;
}

/** The cluster's accounts, as the server uses them: looked up, and closed at shutdown. */
export interface ClusterAccounts extends AccountBook {
  /** Stops following the bucket. */
  close(): void;
}

/** A cluster joined: its backplane, and the roster once it is open. */
export interface Cluster {
  /** The room's transport between the nodes, started. */
  readonly backplane: Backplane;
  /** The roster and name claims, or `undefined` when they could not be opened. */
  readonly roster: Promise<ClusterRoster | undefined>;
  /** The accounts bucket, or `undefined` when it could not be opened. */
  readonly accounts: Promise<ClusterAccounts | undefined>;
}

/**
 * Connects to NATS, positions the room's consumer (the history delivered), and
 * opens the roster. The NATS client is imported here, lazily.
 *
 * @param join What the cluster needs from the server.
 * @returns The backplane once started; the roster follows.
 * @throws {Error} With a one-line message naming NATS when it cannot be reached.
 */
export async function joinCluster(join: ClusterJoin): Promise<Cluster> {
  const { nats } = join;
  const { NatsBackplane } = await import("./nats/nats_backplane.ts");
  const backplane = new NatsBackplane({
    servers: nats.servers,
    ...(nats.auth === undefined ? {} : { auth: nats.auth }),
    ...(nats.ca === undefined ? {} : { ca: nats.ca }),
    ...(nats.room === undefined ? {} : { room: nats.room }),
    history: join.history,
    maxFrameBytes: largestRelayFrame(join.limits),
    ...(nats.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: nats.maxAgeSeconds }),
    ...(nats.maxPending === undefined ? {} : { maxPending: nats.maxPending }),
    log: join.log,
  });
  await backplane.start(checkedSink(join));
  const roster = (async () => {
    const { NatsPresence } = await import("./nats/nats_presence.ts");
    const connection = backplane.connection;
    if (connection === undefined || join.closing()) return undefined;
    try {
      return await NatsPresence.open({
        connection,
        ...(nats.room === undefined ? {} : { room: nats.room }),
        uniqueNames: join.uniqueNames,
        ...(nats.leaseSeconds === undefined ? {} : { staleMs: nats.leaseSeconds * 1000 }),
        gone: join.gone,
        lost: join.lost,
        log: join.log,
      });
    } catch (error) {
      join.log("error", `presence across the cluster failed: ${(error as Error).message}`);
      return undefined;
    }
  })();
  const accounts = (async () => {
    const connection = backplane.connection;
    if (connection === undefined || join.closing()) return undefined;
    try {
      const { NatsAccounts } = await import("./nats/nats_accounts.ts");
      return await NatsAccounts.open(connection, { watch: true });
    } catch (error) {
      join.log("error", `the accounts bucket cannot be opened: ${(error as Error).message}`);
      return undefined;
    }
  })();
  return { backplane, roster, accounts };
}

/**
 * The sink as the cluster sees it: each frame checked before it reaches the room;
 * one that fails is skipped, counted, and logged once per kind with its position.
 */
export function checkedSink(join: ClusterJoin): BackplaneSink {
  const logged = new Set<FrameFault>();
  return {
    deliver(frame, from) {
      const fault = checkRelayFrame(frame, from?.voice ?? false, join.limits);
      if (fault === undefined) {
        join.sink.deliver(frame, from);
        return;
      }
      join.rejected(fault);
      if (logged.has(fault)) return;
      logged.add(fault);
      const where = from === undefined ? "" : ` at stream sequence ${from.seq}`;
      join.log(
        "warn",
        `a frame from the cluster was refused${where}: ${fault} ` +
          `(further ones of this kind are counted in wirechat_backplane_refused_total, not logged)`,
      );
    },
    congested: (on) => join.sink.congested(on),
    connected: (up) => join.sink.connected(up),
  };
}
