/**
 * The server's cluster flags: `--nats` and what goes with it, credentials from
 * files (never from URLs, which `ps` shows), TLS to NATS, the lease.
 *
 * @module
 */

import { integerValue as integer, UsageError } from "../cli/flags.ts";
import { errorMessage } from "../cli/error_message.ts";
import type { NatsAuth, NatsOptions } from "./options.ts";

/** The cluster flags of the server, for its flag parser. */
export const CLUSTER_FLAGS = {
  nats: { type: "string" },
  room: { type: "string" },
  "nats-max-age": { type: "string" },
  "nats-max-pending": { type: "string" },
  "nats-user": { type: "string" },
  "nats-password-file": { type: "string" },
  "nats-token-file": { type: "string" },
  "nats-creds": { type: "string" },
  "nats-nkey": { type: "string" },
  "nats-ca": { type: "string" },
  "cluster-lease": { type: "string" },
} as const;

/** The values of {@linkcode CLUSTER_FLAGS}, as parsed. */
export type ClusterFlagValues = { [flag in keyof typeof CLUSTER_FLAGS]?: string | undefined };

/** The credential and CA files the flags named, read at start. */
export interface NatsFiles {
  /** `--nats-password-file`. */
  readonly password?: string;
  /** `--nats-token-file`. */
  readonly token?: string;
  /** `--nats-creds`. */
  readonly creds?: string;
  /** `--nats-nkey`. */
  readonly nkey?: string;
  /** `--nats-ca`. */
  readonly ca?: string;
}

/**
 * Parses the cluster flags into `NatsOptions` (without the files' contents).
 *
 * @returns The options and the files to read, or `undefined` without `--nats`.
 * @throws {UsageError} On a malformed value, a flag that needs `--nats`, or
 * credentials written into a URL.
 */
export function parseClusterFlags(
  values: ClusterFlagValues,
): { nats: NatsOptions; files: NatsFiles; user?: string } | undefined {
  const nats = values.nats;
  const natsOnly = (Object.keys(CLUSTER_FLAGS) as (keyof typeof CLUSTER_FLAGS)[])
    .find((flag) => flag !== "nats" && values[flag] !== undefined);
  if (nats === undefined) {
    if (natsOnly !== undefined) throw new UsageError(`option --${natsOnly} needs --nats`);
    return undefined;
  }
  const servers = nats.split(",").map((url) => url.trim()).filter((url) => url !== "");
  for (const url of servers) {
    if (/^[a-z]+:\/\/[^/@]*@/i.test(url)) {
      throw new UsageError(
        "credentials in a --nats URL are refused (any user of the machine can read them with " +
          "ps): use --nats-user with --nats-password-file, --nats-token-file, --nats-creds or " +
          "--nats-nkey",
      );
    }
    if (!/^(nats|tls|wss?):\/\/[^\s/]+$|^[^\s:/]+:\d+$/.test(url)) {
      throw new UsageError(
        `invalid value for --nats: "${url}" (expected a URL such as nats://127.0.0.1:4222)`,
      );
    }
  }
  if (servers.length === 0) throw new UsageError("invalid value for --nats: it is empty");
  const options: NatsOptions = { servers };
  const room = values.room;
  if (room !== undefined) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(room)) {
      throw new UsageError(
        `invalid value for --room: "${room}" (expected letters, digits, - and _)`,
      );
    }
    options.room = room;
  }
  const age = values["nats-max-age"];
  if (age !== undefined) options.maxAgeSeconds = integer("nats-max-age", age, 1, 2 ** 31);
  const pending = values["nats-max-pending"];
  if (pending !== undefined) options.maxPending = integer("nats-max-pending", pending, 1, 1e9);
  const lease = values["cluster-lease"];
  if (lease !== undefined) options.leaseSeconds = integer("cluster-lease", lease, 1, 3600);
  const user = values["nats-user"];
  const files: { -readonly [file in keyof NatsFiles]: NatsFiles[file] } = {};
  if (values["nats-password-file"] !== undefined) files.password = values["nats-password-file"];
  if (values["nats-token-file"] !== undefined) files.token = values["nats-token-file"];
  if (values["nats-creds"] !== undefined) files.creds = values["nats-creds"];
  if (values["nats-nkey"] !== undefined) files.nkey = values["nats-nkey"];
  if (values["nats-ca"] !== undefined) files.ca = values["nats-ca"];
  if ((user === undefined) !== (files.password === undefined)) {
    throw new UsageError("--nats-user and --nats-password-file go together");
  }
  const ways = [files.password, files.token, files.creds, files.nkey].filter((file) =>
    file !== undefined
  );
  if (ways.length > 1) {
    throw new UsageError(
      "one way to authenticate to NATS at a time: a user and password, a token, creds or an nkey",
    );
  }
  return { nats: options, files, ...(user === undefined ? {} : { user }) };
}

/**
 * Reads the credential and CA files into the options' `auth` and `ca`.
 *
 * @throws {Error} With a one-line message naming the file that cannot be read.
 */
export function readNatsFiles(
  nats: NatsOptions,
  files: NatsFiles,
  user: string | undefined,
): NatsOptions {
  const read = (path: string, what: string): string => {
    try {
      return Deno.readTextFileSync(path);
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound
        ? "no such file"
        : error instanceof Deno.errors.NotCapable
        ? "no read permission: add --allow-read"
        : errorMessage(error);
      throw new Error(`cannot read the NATS ${what} '${path}': ${why}`);
    }
  };
  // A file written with echo ends with a newline that is no part of the secret.
  const secret = (path: string, what: string) => read(path, what).replace(/\r?\n$/, "");
  let auth: NatsAuth | undefined;
  if (files.password !== undefined) {
    auth = { user: user!, password: secret(files.password, "password file") };
  } else if (files.token !== undefined) {
    auth = { token: secret(files.token, "token file") };
  } else if (files.creds !== undefined) {
    auth = { creds: read(files.creds, "credentials file") };
  } else if (files.nkey !== undefined) {
    auth = { nkeySeed: secret(files.nkey, "nkey seed file").trim() };
  }
  return {
    ...nats,
    ...(auth === undefined ? {} : { auth }),
    ...(files.ca === undefined ? {} : { ca: read(files.ca, "CA file") }),
  };
}
