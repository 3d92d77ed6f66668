/**
 * The load generator's command line: `check/load/load.ts` run directly, for one
 * run with options of your own (`wirechat-check bench` runs the scenarios).
 *
 * @module
 */

import { DEFAULT_PORT } from "../../protocol/ports.ts";
import { type LoadOptions, parsePorts } from "./load_options.ts";
import { LoadRun } from "./load_run.ts";
import { errorMessage } from "../../cli/error_message.ts";
import { parseFlags, UsageError } from "../../cli/flags.ts";

const USAGE = `Generates load on a chat server and checks every frame it relays.

INSTALL:
  deno install -g --allow-net -n wirechat-load check/load/load.ts

USAGE:
  deno run --allow-net check/load/load.ts [options]

OPTIONS:
  --host H              server host (127.0.0.1)
  --port P[,P...]       server port (${DEFAULT_PORT}); several ports: client i connects to
                        the (i mod n)-th, to load a cluster as one chat
  --clients N           connections, logged in as u0..uN-1 (10)
  --senders S           the first S clients send (1)
  --messages M          messages per sender (1000)
  --size B              message body bytes, at least 16 (64)
  --window W            most un-echoed messages per sender; 1 is ping-pong (16)
  --hold T              log in, send nothing, hold T seconds
  --first-index N       name the clients u<N> onwards (0), so that several
                        load generators can share one chat
  --leader NAME         with --hold: send nothing, not even the login rounds;
                        they come from the client NAME, outside this run, and
                        each round every client received is printed as one
                        JSON line {"round":R,"atMs":T} (T: wall-clock ms)
  --hold-until-eof      with --hold: also end the hold, cleanly, when standard
                        input closes (for a parent process)
  --duration-limit T    hard stop after T seconds, connect included (60, or
                        the hold plus 60)
  --stall-timeout T     stop when nothing moves for T seconds while running (5)
  --read-buffer BYTES   read buffer per connection (64 MiB / clients, 4-64 KiB)
  --decoder D           scanner: check frames in place (default); codec: decode
                        with the project's ClientDecoder, several times slower
  --quiet               no progress lines on standard error
  -h, --help            print this help

Prints one JSON line (after the rounds, with --leader). Exit status: 0 for a clean run, 1 for a misuse, 2 when
anything was lost, reordered, invalid or cut off.`;

function parseNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number)) {
    throw new RangeError(`Invalid option --${name}: "${value}" is not a number`);
  }
  return number;
}

/** Parses the CLI's flags into options. */
export function parseOptions(
  args: string[],
): LoadOptions & { quiet: boolean; help: boolean; holdUntilEof: boolean } {
  const { values, positionals } = parseFlags(
    args,
    {
      host: { type: "string" },
      port: { type: "string" },
      clients: { type: "string" },
      senders: { type: "string" },
      messages: { type: "string" },
      size: { type: "string" },
      window: { type: "string" },
      hold: { type: "string" },
      "first-index": { type: "string" },
      leader: { type: "string" },
      "hold-until-eof": { type: "boolean" },
      "duration-limit": { type: "string" },
      "stall-timeout": { type: "string" },
      "read-buffer": { type: "string" },
      decoder: { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    } as const,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  for (const flag of ["leader", "hold-until-eof"] as const) {
    if (values[flag] !== undefined && values.hold === undefined) {
      throw new UsageError(`option --${flag} needs --hold`);
    }
  }
  const decoder = values.decoder ?? "scanner";
  if (decoder !== "scanner" && decoder !== "codec") {
    throw new UsageError(`invalid value for --decoder: "${decoder}" (expected scanner or codec)`);
  }
  const options: LoadOptions & { quiet: boolean; help: boolean; holdUntilEof: boolean } = {
    hostname: values.host ?? "127.0.0.1",
    port: parsePorts(values.port ?? String(DEFAULT_PORT)),
    decoder,
    quiet: values.quiet === true,
    help: values.help === true,
    holdUntilEof: values["hold-until-eof"] === true,
  };
  if (values.leader !== undefined) options.leader = values.leader;
  const numbers = {
    clients: "clients",
    senders: "senders",
    messages: "messages",
    size: "size",
    window: "window",
    hold: "hold",
    firstIndex: "first-index",
    durationLimit: "duration-limit",
    stallTimeout: "stall-timeout",
    readBufferSize: "read-buffer",
  } as const;
  for (const [key, flag] of Object.entries(numbers)) {
    const value = parseNumber(flag, values[flag]);
    if (value !== undefined) options[key as keyof typeof numbers] = value;
  }
  return options;
}

/**
 * The CLI: parses the flags, runs once, prints the result as one JSON line.
 *
 * @param args The command-line arguments.
 * @returns The exit status: 0 for a clean run, 1 for a misuse, 2 otherwise.
 */
export async function main(args: string[]): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  let run: LoadRun;
  const controller = new AbortController();
  const endHold = new AbortController();
  try {
    options = parseOptions(args);
    if (options.help) {
      console.log(USAGE);
      return 0;
    }
    run = new LoadRun({
      ...options,
      signal: controller.signal,
      holdUntil: endHold.signal,
      onProgress: options.quiet ? () => {} : (line) => console.error(`load: ${line}`),
      onRound: (round, atMs) => console.log(JSON.stringify({ round, atMs })),
    });
  } catch (error) {
    console.error(`load: ${errorMessage(error)}\n\n${USAGE}`);
    return 1;
  }
  const abort = () => controller.abort();
  Deno.addSignalListener("SIGINT", abort);
  const stdin = options.holdUntilEof ? Deno.stdin.readable.getReader() : undefined;
  if (stdin !== undefined) untilEnd(stdin).then(() => endHold.abort());
  try {
    const result = await run.run();
    console.log(JSON.stringify(result));
    return result.ok ? 0 : 2;
  } finally {
    Deno.removeSignalListener("SIGINT", abort);
    await stdin?.cancel().catch(() => {});
  }
}

/** Reads standard input to its end (or an error), discarding what it reads. */
async function untilEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done) {
      // discard
    }
  } catch {
    // closed or cancelled: the end too
  }
}
