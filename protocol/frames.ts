/**
 * The frames of the protocol, as values.
 *
 * @module
 */

/**
 * A frame a client sends: its login (exactly once, first), then any number of
 * messages. On the wire both are one string: `size` (u32, big-endian), then `size`
 * bytes of UTF-8.
 */
export type ClientFrame =
  | { readonly type: "login"; readonly username: string }
  | { readonly type: "message"; readonly text: string };

/**
 * A frame a server sends: one accepted message, relayed to every logged-in client,
 * the sender included. On the wire: `timestamp` (u64, big-endian), then the user
 * name and the text as strings.
 */
export interface ChatMessage {
  /** When the server received the message: whole seconds of UNIX time. */
  readonly timestamp: number;
  /** Who sent it. */
  readonly username: string;
  /** What they wrote. */
  readonly text: string;
}
