/**
 * Runs the project's commands as child processes, the way users run them.
 *
 * @module
 */

import { LogCapture } from "./log_capture.ts";

/** The path of a file of the project, from its root. */
export function projectFile(path: string): string {
  return new URL(`../../${path}`, import.meta.url).pathname;
}

/** What a finished command printed, and its exit status. */
export interface Finished {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Feeds `stdin` to a child spawned with every stream piped, and waits for its end. */
export async function finish(child: Deno.ChildProcess, stdin = ""): Promise<Finished> {
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Runs `deno <args>` to completion, with `stdin` as its standard input. */
export function runDeno(args: string[], stdin = ""): Promise<Finished> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  return finish(child, stdin);
}

/** A server started with `deno run server.ts`, its standard error captured line by line. */
export class ServerProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stderr: LogCapture = new LogCapture();
  readonly #done: Promise<void>;
  port = 0;

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#done = this.#collect();
  }

  /**
   * Starts `deno run <denoArgs> server.ts <args>` and waits until it listens.
   *
   * @param args Server flags; `--host 127.0.0.1 --port 0` come first unless overridden.
   * @param options `shell` runs the command under `sh -c` with this prefix (e.g. a ulimit).
   */
  static start(
    args: string[] = [],
    options: { denoArgs?: string[]; shell?: string } = {},
  ): Promise<ServerProcess> {
    const deno = [Deno.execPath(), "run", ...(options.denoArgs ?? ["--allow-net"])];
    return ServerProcess.launch([...deno, projectFile("server.ts")], args, options);
  }

  /**
   * Starts any command that runs the server (a compiled binary, an installed
   * script, `./server.ts`) and waits until it listens.
   *
   * @param program The program and its leading arguments.
   * @param args Server flags; `--host 127.0.0.1 --port 0` come first unless overridden.
   * @param options `shell` runs the command under `sh -c` with this prefix;
   * `env` adds to the environment.
   */
  static async launch(
    program: readonly string[],
    args: string[] = [],
    options: { shell?: string; env?: Record<string, string> } = {},
  ): Promise<ServerProcess> {
    const command = [...program, "--host", "127.0.0.1", "--port", "0", ...args];
    const quoted = command.map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(" ");
    const [executable, ...executableArgs] = options.shell === undefined
      ? command
      : ["sh", "-c", `${options.shell}; exec ${quoted}`];
    const child = new Deno.Command(executable!, {
      args: executableArgs,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1", ...options.env },
    }).spawn();
    const server = new ServerProcess(child);
    try {
      const [line] = await server.stderr.waitFor(/listening on 127\.0\.0\.1:\d+/, 1, 15_000);
      server.port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line!)![1]);
    } catch (error) {
      await server[Symbol.asyncDispose]();
      throw error;
    }
    return server;
  }

  /** Sends a signal and waits for the exit status. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    this.child.kill(signal);
    return await this.status();
  }

  /** Waits for the process to exit and its output to be read. */
  async status(): Promise<Deno.CommandStatus> {
    const status = await this.child.status;
    await this.#done;
    return status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.status();
  }

  async #collect(): Promise<void> {
    let rest = "";
    for await (const text of this.child.stderr.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + text).split("\n");
      rest = lines.pop()!;
      for (const line of lines) this.stderr.log(line);
    }
    if (rest !== "") this.stderr.log(rest);
  }
}
