/**
 * The server's `--help`.
 *
 * @module
 */

import { VERSION } from "../cli/flags.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "../protocol/limits.ts";
import { DEFAULT_PORT, DEFAULT_TLS_PORT } from "../protocol/ports.ts";

/** The server command's name. */
export const NAME = "wirechat-server";

/** The text of `--help`. */
export const HELP = `${NAME} ${VERSION}: the wirechat chat server.
Relays every message to every logged-in client, the sender included.

INSTALL:
  deno install -g -N --v8-flags=--max-semi-space-size=1 -n ${NAME} jsr:@wirechat/wirechat/server

USAGE:
  ${NAME} [options]
  ${NAME} accounts add|remove|list ... --data <dir>   (see accounts --help)
  deno run --allow-net --v8-flags=--max-semi-space-size=1 server.ts [options]

OPTIONS:
  --host <address>             Address to listen on (default: 0.0.0.0)
  --port <port>                TCP port; 0 picks a free one (default: ${DEFAULT_PORT})
  --max-username-size <bytes>  Longest user name accepted (default: ${DEFAULT_MAX_USERNAME_SIZE})
  --max-message-size <bytes>   Longest message accepted (default: ${DEFAULT_MAX_MESSAGE_SIZE})
  --max-clients <count>        Most connections held at once (default: 10000)
  --max-pending-logins <count> Most connections not logged in yet; when full, the oldest
                               one waiting over a second makes room (default: 8192)
  --max-connections-per-ip <count>
                               Most connections from one address, an IPv6 /64 counting
                               as one; 0 for no limit (default: 0; public servers: 20)
  --max-message-rate <count>   Messages per second per connection; past the burst the
                               server stops reading from it for a while; 0 for no limit
                               (default: 100)
  --max-message-burst <count>  Messages a connection may send at once (default: 1000)
  --max-queue-bytes <bytes>    Bytes queued for a client whose socket refuses data before
                               it is disconnected as a slow consumer; at half of it for
                               clients that do read, senders wait (default: 1048576)
  --history <count>            Messages a newcomer receives right after logging in
                               (default: 0)
  --tls-cert <file>            PEM certificate chain: opens a TLS door beside the plain one
                               (needs --allow-read for the files)
  --tls-key <file>             PEM private key of --tls-cert
  --tls-port <port>            TLS port (default: ${DEFAULT_TLS_PORT})
  --tls-only                   Open no plain TCP door; SIGHUP re-reads the certificate
  --web <[host:]port>          Serve the browser page and its WebSocket door here (HTTPS
                               with --tls-cert, read at start only); a bare port
                               binds the address of --host
  --web-origin <origin>        Another origin whose pages may connect (repeatable)
  --web-host <name>            A host name the page is served under, besides IP addresses
                               and localhost (repeatable)
  --web-plain                  Plain HTTP despite --tls-cert (behind a TLS proxy)
  --nats <url>[,<url>...]      Join the servers on this NATS JetStream as one chat
                               (no credentials in the URL: see the flags below)
  --room <name>                The chat's name in NATS: letters, digits, - and _
                               (default: wirechat)
  --nats-max-age <seconds>     How long the room's stream keeps messages (default: 86400)
  --nats-max-pending <count>   Messages held while NATS is unreachable before senders
                               wait (default: 10000)
  --nats-user <name>           NATS user, with --nats-password-file
  --nats-password-file <file>  File holding the NATS user's password
  --nats-token-file <file>     File holding a NATS token
  --nats-creds <file>          NATS credentials file (JWT and nkey seed)
  --nats-nkey <file>           File holding an nkey seed
  --nats-ca <file>             CA certificates (PEM) for TLS to NATS (tls:// URLs)
  --cluster-lease <seconds>    How long a node that stops answering keeps its users
                               and names before the others count it gone (default: 15)
  --login-timeout <seconds>    Time a connection has to log in (default: 10)
  --log-level <level>          error, warn, info or debug; debug logs message texts
                               (default: info)
  --presence                   Announce joins and leaves (with the reason when the
                               server dropped the user) as messages from *
  --unique-names               Refuse a login whose name is in the room already
                               (compared after NFC normalisation and case folding)
  --metrics <[host:]port>      Serve /metrics (Prometheus text) and /healthz over HTTP;
                               a bare port binds 127.0.0.1
  --stats-interval <seconds>   Log a line of the same figures this often; 0 for none
                               (default: 0)
  --data <dir>                 Keep accounts and (with --history) the history in this
                               folder's SQLite file (needs --allow-read --allow-write)
  --registered-only            Admit registered names only (needs --data)
  --pid-file <file>            Write the process's ID here once listening, removed at
                               exit, for kill -HUP "$(cat <file>)" (needs --allow-write)
  -h, --help                   Print this help and exit
  -V, --version                Print the version and exit

A message that is exactly /who is not relayed: its sender alone receives the list
of who is in the room, from *. Logs go to standard error, one line per event. SIGINT or SIGTERM shuts the server
down: it stops accepting, closes every connection and exits with status 0.
Exit status 1: a bad flag, or the address cannot be listened on.`;
