/**
 * The chat page's script: a join screen, then the room: logs in over a WebSocket
 * with the project's own codec, shows the log (`log_view.ts`) and who is here
 * (`member_list.ts`), says the connection's state in words and reconnects with
 * backoff. `scripts/build_web.ts` bundles it and the modules it imports into one
 * script, embedded in `server/doors/web_assets.ts`.
 *
 * @module
 */

import { ClientDecoder } from "../protocol/client_decoder.ts";
import { encodeString } from "../protocol/encode.ts";
import type { ChatMessage } from "../protocol/frames.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "../protocol/limits.ts";
import { validateUsername } from "../protocol/username.ts";
import { canSignIn, needsPassword, SignIn } from "./sign_in.ts";
import { utf8ByteLength } from "../protocol/utf8.ts";
import { HELP_LINES, readInput, UNKNOWN_COMMAND } from "./commands.ts";
import { LogView } from "./log_view.ts";
import { MemberList } from "./member_list.ts";
import { readNotice } from "./notices.ts";

/** What the server says of itself at `/config.json`. */
interface Config {
  maxUsernameSize: number;
  maxMessageSize: number;
  /** The room's name in a cluster (`--room`); the page shows the host otherwise. */
  room?: string;
}

// Close codes after which trying again cannot help: the server refused what we sent.
const FINAL_CLOSE_CODES = new Set([1002, 1003, 1007, 1008, 1009]);
const FIRST_RETRY = 1_000;
const LAST_RETRY = 30_000;
const STABLE_AFTER = 5_000;
// A login not refused in this long is taken as accepted: a server without /who
// (the seed's) says nothing when it accepts one.
const LOGIN_QUIET = 2_000;
const MAX_ROWS = 5_000;
const ROWS_PER_SLICE = 500;
// Frames remembered to recognise a history replay after a reconnection.
const REMEMBERED_FRAMES = 1_000;
const NAME_KEY = "wirechat.username";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`Missing element #${id}`);
  return found as T;
}

const joinScreen = element<HTMLElement>("join");
const chatScreen = element<HTMLElement>("chat");
const loginForm = element<HTMLFormElement>("login");
const usernameInput = element<HTMLInputElement>("username");
const usernameHint = element<HTMLParagraphElement>("username-hint");
const loginProblem = element<HTMLParagraphElement>("login-problem");
const passwordRow = element<HTMLDivElement>("password-row");
const passwordInput = element<HTMLInputElement>("password");
const statusLine = element<HTMLParagraphElement>("status");
const retryButton = element<HTMLButtonElement>("retry");
const jumpButton = element<HTMLButtonElement>("jump");
const composer = element<HTMLFormElement>("composer");
const messageInput = element<HTMLInputElement>("message");
const messageHint = element<HTMLParagraphElement>("message-hint");
const problem = element<HTMLParagraphElement>("problem");

let config: Config = {
  maxUsernameSize: DEFAULT_MAX_USERNAME_SIZE,
  maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
};
let serverName = location.hostname;
let username = "";
let socket: WebSocket | undefined;
let retryDelay = FIRST_RETRY;
let retryAt = 0;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let countdown: ReturnType<typeof setInterval> | undefined;
let stableTimer: ReturnType<typeof setTimeout> | undefined;
// `/who` answers still due for requests the page made itself; they are not shown.
let quietWhoAnswers = 0;
// Whether the page asked `/who` after a presence summary and awaits the answer.
let whoAfterSummary = false;
let unread = 0;
// The last frames received, to recognise a history replay after a reconnection.
let recent: string[] = [];
// After a reconnection: the frames received before it, until the replay is over.
let replay: { seen: Set<string>; last: string } | undefined;
let lostAt: Date | undefined;
// Whether the page has been connected since the reader pressed Join.
let joined = false;
// Whether the server has shown that it accepted this connection's login.
let accepted = false;
let acceptTimer: ReturnType<typeof setTimeout> | undefined;
// The password of a registered name, while the page signs in with it.
let password: string | undefined;
let signIn: SignIn | undefined;
// The last line from `*`: before a close, the server's reason (the Why extension).
let lastWord = "";

const view = new LogView(element("log"), {
  maxRows: MAX_ROWS,
  slice: ROWS_PER_SLICE,
  me: () => username,
  onUnseen(count) {
    jumpButton.hidden = count === 0;
    jumpButton.textContent = count === 1 ? "1 new message ↓" : `${count} new messages ↓`;
  },
});
const members = new MemberList(element("members"), element("people-title"), () => username);

function setStatus(state: "closed" | "connecting" | "open", text: string): void {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

function report(text: string): void {
  problem.textContent = text;
}

function updateTitle(): void {
  const base = `${serverName} · wirechat`;
  document.title = unread > 0 ? `(${unread}) ${base}` : base;
}

function frameKey(message: ChatMessage): string {
  return `${message.timestamp}\u0000${message.username}\u0000${message.text}`;
}

function clock(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function askWho(): void {
  if (socket?.readyState !== WebSocket.OPEN) return;
  socket.send(encodeString("/who") as Uint8Array<ArrayBuffer>);
  quietWhoAnswers++;
}

/** One frame from the server. */
// Lines from * that end a login: the page goes back to the join screen with them.
const REFUSAL =
  /^(the name ".*" is (taken|registered)|invalid user name|wrong password|too many failed attempts|this server does not support accounts)/s;

function receive(message: ChatMessage): void {
  if (message.username === "*") lastWord = message.text;
  if (signIn !== undefined) {
    const ws = socket;
    const current = signIn;
    current.step(message).then((step) => {
      if (socket !== ws || signIn !== current) return;
      if (step.kind === "send") ws?.send(step.bytes as Uint8Array<ArrayBuffer>);
      else if (step.kind === "done") {
        signIn = undefined;
        entered();
        loggedIn();
      } else {
        signIn = undefined;
        socket = undefined;
        ws?.close(1000, "Signing in failed");
        leave(step.text);
      }
    });
    return;
  }
  const notice = message.username === "*" ? readNotice(message.text) : undefined;
  // Someone's message, or the answer to the /who sent after the login: it was read.
  if (!accepted && (message.username !== "*" || notice?.kind === "who")) loggedIn();
  if (notice?.kind === "who") {
    // An answer to this page alone, never part of the history: not remembered.
    members.set(notice.names);
    whoAfterSummary = false;
    if (quietWhoAnswers > 0) quietWhoAnswers--;
    else view.add({ kind: "notice", message });
    return;
  }
  const key = frameKey(message);
  if (replay !== undefined) {
    if (replay.seen.has(key)) {
      // Replayed history the page has shown already: when it reaches the last
      // frame before the connection was lost, nothing is missing.
      if (key === replay.last) {
        view.removeLastGap();
        replay = undefined;
      }
      return;
    }
    replay = undefined;
  }
  recent.push(key);
  if (recent.length > REMEMBERED_FRAMES * 2) recent = recent.slice(-REMEMBERED_FRAMES);

  if (notice !== undefined) {
    switch (notice.kind) {
      case "joined":
        members.add(notice.name);
        break;
      case "left":
        members.remove(notice.name);
        break;
      case "summary":
        // Too many to list one by one: the page asks who is here now.
        if (!whoAfterSummary) {
          whoAfterSummary = true;
          askWho();
        }
        break;
    }
    view.add({ kind: "notice", message });
    return;
  }
  view.add({ kind: "message", message });
  if (document.hidden && message.username !== username) {
    unread++;
    updateTitle();
  }
}

function describeClose(event: CloseEvent): string {
  return event.reason === "" ? `code ${event.code}` : `${event.reason} (code ${event.code})`;
}

function showScreen(screen: "join" | "chat"): void {
  joinScreen.hidden = screen !== "join";
  chatScreen.hidden = screen !== "chat";
  if (screen === "join") usernameInput.focus();
  else messageInput.focus();
}

function stopRetrying(): void {
  clearTimeout(retryTimer);
  clearInterval(countdown);
  retryTimer = undefined;
  countdown = undefined;
  retryButton.hidden = true;
}

function showCountdown(): void {
  const seconds = Math.max(1, Math.round((retryAt - Date.now()) / 1000));
  setStatus(
    "closed",
    joined
      ? `Connection lost. Reconnecting in ${seconds} s…`
      : `Cannot reach the server. Trying again in ${seconds} s…`,
  );
}

function leave(text: string): void {
  stopRetrying();
  socket = undefined;
  replay = undefined;
  lostAt = undefined;
  setStatus("closed", "Not connected");
  members.clear();
  loginProblem.textContent = text;
  showScreen("join");
}

function connect(): void {
  stopRetrying();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws`);
  ws.binaryType = "arraybuffer";
  socket = ws;
  quietWhoAnswers = 0;
  whoAfterSummary = false;
  setStatus("connecting", "Connecting…");
  const decoder = new ClientDecoder(receive, { maxStringSize: 16 * 1024 * 1024 });
  ws.addEventListener("open", () => {
    lastWord = "";
    if (password !== undefined) {
      signIn = new SignIn(username, password);
      ws.send(signIn.opening() as Uint8Array<ArrayBuffer>);
      setStatus("connecting", "Signing in…");
      return;
    }
    ws.send(encodeString(username) as Uint8Array<ArrayBuffer>);
    setStatus("connecting", `Logging in as ${username}…`);
    entered();
    acceptTimer = setTimeout(loggedIn, LOGIN_QUIET);
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
    signIn = undefined;
    clearTimeout(stableTimer);
    clearTimeout(acceptTimer);
    replay = undefined;
    if (REFUSAL.test(lastWord)) {
      // The server said why it refused this login: trying again cannot help.
      const registered = needsPassword(lastWord);
      if (registered && canSignIn()) {
        passwordRow.hidden = false;
        passwordInput.required = true;
      }
      leave(
        registered && !canSignIn()
          ? `${lastWord}: its password can be given only on a secure (https) page`
          : lastWord,
      );
      if (registered && canSignIn()) passwordInput.focus();
      return;
    }
    if (FINAL_CLOSE_CODES.has(event.code)) {
      leave(`The server closed the chat: ${describeClose(event)}`);
      return;
    }
    if (joined) lostAt ??= new Date(); // nothing was shown before a first connection
    // A little jitter keeps many pages from returning to a restarted server at once.
    const delay = retryDelay * (0.8 + Math.random() * 0.4);
    retryAt = Date.now() + delay;
    retryDelay = Math.min(retryDelay * 2, LAST_RETRY);
    retryTimer = setTimeout(connect, delay);
    countdown = setInterval(showCountdown, 1_000);
    showCountdown();
    retryButton.hidden = false;
  });
}

// The login went out (or the password was proven): what arrives now is the room's.
function entered(): void {
  accepted = false;
  if (lostAt !== undefined) {
    // Messages sent while the page was away may be missing, unless the
    // history the server replays reaches back to the last one shown.
    view.add({
      kind: "gap",
      text: `Connection lost at ${clock(lostAt)}, back at ${clock(new Date())}: ` +
        "messages sent in between may be missing here.",
    });
    replay = recent.length === 0
      ? undefined
      : { seen: new Set(recent.slice(-REMEMBERED_FRAMES)), last: recent.at(-1)! };
    lostAt = undefined;
  }
  askWho();
}

// The server accepted the login (or did not refuse it for LOGIN_QUIET): the page is in.
function loggedIn(): void {
  clearTimeout(acceptTimer);
  if (accepted) return;
  accepted = true;
  setStatus("open", `Connected as ${username}`);
  joined = true;
  report("");
  try {
    localStorage.setItem(NAME_KEY, username);
  } catch {
    // Storage refused (private mode, a policy): the name is not remembered.
  }
  stableTimer = setTimeout(() => retryDelay = FIRST_RETRY, STABLE_AFTER);
}

retryButton.addEventListener("click", () => {
  connect();
  messageInput.focus();
});

jumpButton.addEventListener("click", () => {
  view.scrollToEnd();
  messageInput.focus();
});

loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (socket !== undefined) return; // already joining
  const name = usernameInput.value;
  const refuse = (text: string) => loginProblem.textContent = text;
  try {
    validateUsername(name, config.maxUsernameSize);
  } catch (error) {
    refuse((error as Error).message.replace(/^Invalid user name: /, "Cannot join: "));
    return;
  }
  if (name.trim() !== name) {
    refuse("Cannot join: a name cannot begin or end with a space");
    return;
  }
  if (name === "*") {
    refuse("Cannot join: * is the server's name");
    return;
  }
  loginProblem.textContent = "";
  if (name !== username) {
    // Another name: no password unless the server asks again.
    passwordRow.hidden = true;
    passwordInput.required = false;
    passwordInput.value = "";
  }
  password = passwordRow.hidden || passwordInput.value === "" ? undefined : passwordInput.value;
  passwordInput.value = "";
  username = name;
  joined = false;
  retryDelay = FIRST_RETRY;
  showScreen("chat");
  connect();
});

function send(text: string): boolean {
  const size = utf8ByteLength(text);
  if (size > config.maxMessageSize) {
    report(`Not sent: the message is ${size} bytes; the limit is ${config.maxMessageSize} bytes`);
    return false;
  }
  if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
    report("Not sent: not connected; it stays here until you send it again");
    return false;
  }
  socket.send(encodeString(text) as Uint8Array<ArrayBuffer>);
  return true;
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = messageInput.value;
  if (text === "") return;
  const input = readInput(text);
  switch (input.kind) {
    case "send":
      if (!send(input.text)) return;
      break;
    case "who":
      if (!send("/who")) return;
      break;
    case "help":
      for (const line of HELP_LINES) view.add({ kind: "local", text: line });
      break;
    case "unknown":
      view.add({ kind: "local", text: `${input.command}: ${UNKNOWN_COMMAND}` });
      break;
    case "quit": {
      const ws = socket;
      messageInput.value = "";
      report("");
      leave("You left the chat.");
      ws?.close(1000, "Left");
      return;
    }
  }
  messageInput.value = "";
  report("");
  view.scrollToEnd();
});

messageInput.addEventListener("input", () => {
  if (problem.textContent?.startsWith("Not sent")) report("");
});

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  unread = 0;
  updateTitle();
});

function describeLimits(): void {
  const letters = (bytes: number) => bytes.toLocaleString("en-US");
  usernameHint.textContent = `Up to ${
    letters(config.maxUsernameSize)
  } letters, fewer with accents or emoji. This browser remembers it.`;
  messageHint.textContent = `Enter sends. Up to ${
    letters(config.maxMessageSize)
  } letters. /help lists the commands.`;
  for (const name of document.querySelectorAll(".server-name")) name.textContent = serverName;
  updateTitle();
}

async function loadConfig(): Promise<void> {
  try {
    const response = await fetch("/config.json");
    if (!response.ok) return;
    const loaded = await response.json() as Partial<Config>;
    if (Number.isSafeInteger(loaded.maxUsernameSize)) {
      config = { ...config, maxUsernameSize: loaded.maxUsernameSize! };
    }
    if (Number.isSafeInteger(loaded.maxMessageSize)) {
      config = { ...config, maxMessageSize: loaded.maxMessageSize! };
    }
    if (typeof loaded.room === "string" && loaded.room !== "") serverName = loaded.room;
  } catch {
    // The defaults stay.
  }
}

await loadConfig();
describeLimits();
try {
  usernameInput.value = localStorage.getItem(NAME_KEY) ?? "";
} catch {
  // Storage refused: nothing remembered.
}
document.documentElement.dataset.ready = "true";
usernameInput.focus();
