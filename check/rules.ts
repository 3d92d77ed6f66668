/**
 * The sentences of PROTOCOL.md that the cases test, quoted as the page says
 * them (Markdown marks removed).
 *
 * @module
 */

/** The sentences, by a short key. */
export const RULES = {
  timestamp: "timestamp: unsigned 64-bit integer, big-endian: whole seconds of UNIX time",
  string: "string: size: unsigned 32-bit integer, big-endian, then size bytes of UTF-8",
  nothingElse:
    "There is nothing else on the wire: no magic, no version, no frame type, no error frames.",
  login:
    "After connecting, the client sends one string: its user name. From then on it is in the chat.",
  unlogged: "A client that has connected but not yet sent its user name receives nothing.",
  message: "Each message is one string.",
  whole: "A client must have the whole message before it sends it (the size comes first).",
  receiving:
    "For every message it accepts, the server sends to every logged-in client, the sender included, one frame: timestamp (the server's clock when it received the message, whole seconds), string (the sender's user name), string (the message).",
  order:
    "The server relays messages in the order in which it accepted them, and every client receives that same order",
  senderOrder:
    "A message from one sender is never reordered relative to an earlier message from the same sender.",
  leaving: "The client closes its TCP connection. There is no goodbye frame.",
  limits:
    "max-username-size: the size of the login string, in bytes; max-message-size: the size of each message string, in bytes",
  oversize: "A string whose size exceeds its limit makes the server close that connection.",
  sizeAlone:
    "The server decides from the 4 size bytes alone: it never reads, buffers or allocates the payload of an oversized string.",
  utf8: "Bytes that are not valid UTF-8 make the server close that connection.",
  others: "Closing one connection never disturbs the others.",
  asTheyAre: "Messages are relayed as they are: a client must make them safe to display",
  slow:
    "One slow or dead client must never delay anyone else (DESIGN.md: a member is dropped for its own slowness)",
  paced:
    "every received frame counts toward the rate limit, and a sender past it is paced, never silently dropped (DESIGN.md)",
  history:
    "Right after login, the server may first send recent frames with their original senders and timestamps, then live ones.",
  voice:
    "`*` and anything that looks like it is always refused as a login name, so nobody can speak as the server.",
  presence:
    "The server may send ordinary frames under the user name `*` (joins, leaves, answers to `/who`, why a login was refused).",
  why:
    "Right before it closes a connection for a reason the client can act on (a message over the limit, a name taken or registered, a rate exceeded), the server sends that connection alone one `*` frame saying why.",
  names:
    "This implementation also closes a login whose user name is empty, contains control characters (Unicode category Cc), format characters that render invisibly or reorder text (category Cf, e.g. U+200B, U+FEFF, U+202E) [...], or begins or ends with whitespace",
  line: "Every received frame is shown as one line: <HH:MM> [username] message",
  clock: "HH:MM is the timestamp in the client's local time, 24-hour clock, zero-padded.",
  raw:
    "The client must never write a peer's bytes raw to a terminal: control characters (C0, DEL, C1) and Unicode bidirectional overrides in the user name or the message are shown escaped or replaced",
  forge:
    "a line break inside a message must not be able to forge what looks like a new <HH:MM> [someone] line.",
  stdin:
    "The original client takes one line of standard input per message, without its line ending.",
  clientLogin:
    "After connecting, the client sends one string: its user name. From then on it is in the chat.",
  serverCloses:
    "The server may close any connection at any stage; the seed's protocol has no way to say why",
} as const;
