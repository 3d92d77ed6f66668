/**
 * The chat page's script: logs in over a WebSocket with the project's own codec,
 * shows messages as `<HH:MM> [user] text`, and reconnects with backoff. It is
 * bundled for browsers into `web/assets.ts` by `scripts/build_web.ts`.
 *
 * @module
 */

import { ClientDecoder } from "../protocol/client_decoder.ts";
import { encodeString } from "../protocol/encode.ts";
import type { ChatMessage } from "../protocol/frames.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "../protocol/limits.ts";
import { validateUsername } from "../protocol/username.ts";
import { utf8ByteLength } from "../protocol/utf8.ts";
import { formatMessage } from "../client/format.ts";

/** The limits the server announces at `/config.json`. */
interface Limits {
  maxUsernameSize: number;
  maxMessageSize: number;
}

// Close codes after which trying again cannot help: the server refused what we sent.
const FINAL_CLOSE_CODES = new Set([1002, 1003, 1007, 1008, 1009]);
const FIRST_RETRY = 1_000;
const LAST_RETRY = 30_000;
const STABLE_AFTER = 5_000;
const MAX_LINES = 2_000;
// The log follows new lines while the reader is within this many pixels of its end.
const FOLLOW_SLACK = 40;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`Missing element #${id}`);
  return found as T;
}

const statusLine = element<HTMLParagraphElement>("status");
const log = element<HTMLDivElement>("log");
const problem = element<HTMLParagraphElement>("problem");
const loginForm = element<HTMLFormElement>("login");
const usernameInput = element<HTMLInputElement>("username");
const usernameHint = element<HTMLParagraphElement>("username-hint");
const composer = element<HTMLFormElement>("composer");
const messageInput = element<HTMLInputElement>("message");
const messageHint = element<HTMLParagraphElement>("message-hint");

let limits: Limits = {
  maxUsernameSize: DEFAULT_MAX_USERNAME_SIZE,
  maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
};
let username = "";
let socket: WebSocket | undefined;
let retryDelay = FIRST_RETRY;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let stableTimer: ReturnType<typeof setTimeout> | undefined;

function setStatus(state: "closed" | "connecting" | "open", text: string): void {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

function report(text: string): void {
  problem.textContent = text;
}

/** Appends one received message as text, never as HTML. */
function show(message: ChatMessage): void {
  const follow = log.scrollHeight - log.scrollTop - log.clientHeight < FOLLOW_SLACK;
  const line = document.createElement("p");
  line.textContent = formatMessage(message);
  if (message.username === "*") line.className = "server";
  log.append(line);
  while (log.childElementCount > MAX_LINES) log.firstElementChild!.remove();
  if (follow) log.scrollTop = log.scrollHeight;
}

function describeClose(event: CloseEvent): string {
  return event.reason === "" ? `code ${event.code}` : `${event.reason} (code ${event.code})`;
}

function connect(): void {
  clearTimeout(retryTimer);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws`);
  ws.binaryType = "arraybuffer";
  socket = ws;
  setStatus("connecting", "Connecting…");
  const decoder = new ClientDecoder(show, { maxStringSize: 16 * 1024 * 1024 });
  ws.addEventListener("open", () => {
    ws.send(encodeString(username) as Uint8Array<ArrayBuffer>);
    setStatus("open", `Connected as ${username}`);
    report("");
    loginForm.hidden = true;
    composer.hidden = false;
    messageInput.focus();
    stableTimer = setTimeout(() => retryDelay = FIRST_RETRY, STABLE_AFTER);
  });
  ws.addEventListener("message", (event) => {
    if (!(event.data instanceof ArrayBuffer)) return;
    try {
      decoder.push(new Uint8Array(event.data));
    } catch (error) {
      report(`The server sent something unreadable: ${(error as Error).message}`);
      ws.close(1002, "Cannot decode frame");
    }
  });
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    socket = undefined;
    clearTimeout(stableTimer);
    if (FINAL_CLOSE_CODES.has(event.code)) {
      setStatus("closed", "Not connected");
      report(`The server closed the chat: ${describeClose(event)}`);
      composer.hidden = true;
      loginForm.hidden = false;
      usernameInput.focus();
      return;
    }
    const seconds = Math.round(retryDelay / 1000);
    setStatus("closed", `Disconnected (${describeClose(event)}); reconnecting in ${seconds} s`);
    // A little jitter keeps many pages from returning to a restarted server at once.
    retryTimer = setTimeout(connect, retryDelay * (0.8 + Math.random() * 0.4));
    retryDelay = Math.min(retryDelay * 2, LAST_RETRY);
  });
}

loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (socket !== undefined) return; // already joining
  const name = usernameInput.value;
  try {
    validateUsername(name, limits.maxUsernameSize);
  } catch (error) {
    report((error as Error).message.replace(/^Invalid user name: /, "Cannot join: "));
    return;
  }
  if (name.trim() !== name) {
    report("Cannot join: a name cannot begin or end with a space");
    return;
  }
  if (name === "*") {
    report("Cannot join: * is the server's name");
    return;
  }
  username = name;
  retryDelay = FIRST_RETRY;
  connect();
});

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = messageInput.value;
  if (text === "") return;
  const size = utf8ByteLength(text);
  if (size > limits.maxMessageSize) {
    report(
      `Not sent: the message is ${size} bytes; the limit is ${limits.maxMessageSize} bytes`,
    );
    return;
  }
  if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
    report("Not sent: not connected; it stays here until you send it again");
    return;
  }
  socket.send(encodeString(text) as Uint8Array<ArrayBuffer>);
  messageInput.value = "";
  report("");
});

messageInput.addEventListener("input", () => {
  if (problem.textContent?.startsWith("Not sent")) report("");
});

async function loadLimits(): Promise<void> {
  try {
    const response = await fetch("/config.json");
    if (!response.ok) return;
    const config = await response.json() as Partial<Limits>;
    if (Number.isSafeInteger(config.maxUsernameSize)) {
      limits = { ...limits, maxUsernameSize: config.maxUsernameSize! };
    }
    if (Number.isSafeInteger(config.maxMessageSize)) {
      limits = { ...limits, maxMessageSize: config.maxMessageSize! };
    }
  } catch {
    // The defaults stay.
  }
  usernameHint.textContent = `Up to ${limits.maxUsernameSize} bytes of UTF-8.`;
  messageHint.textContent = `Enter sends. Up to ${limits.maxMessageSize} bytes of UTF-8.`;
}

await loadLimits();
document.documentElement.dataset.ready = "true";
usernameInput.focus();
