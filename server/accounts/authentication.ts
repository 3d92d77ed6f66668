/**
 * The server's side of one authentication (the accounts extension): the
 * client-first message, the challenge, the proof, the server's signature. It
 * holds no socket: the session feeds it each message and says what it answers.
 *
 * @module
 */

import { ProtocolError } from "../../protocol/errors.ts";
import {
  checkClientFinal,
  type ClientFirst,
  makeNonce,
  parseClientFirst,
  type ScramVerifier,
  serverFirst,
} from "../../protocol/scram.ts";
import { validateUsername } from "../../protocol/username.ts";
import { nameKeys } from "../../protocol/skeleton.ts";
import type { AttemptPacer } from "./attempt_pacer.ts";
import type { Authenticator, AuthStep } from "../session/session_host.ts";

/** An account: its name as registered, and its verifier. */
export type Account = ScramVerifier & { readonly name: string };

/** Where accounts are found: the data folder's file, or a cluster's bucket. */
export interface AccountBook {
  /**
   * The account of `name` or of a name that counts as the same.
   *
   * @throws {Error} When accounts cannot be read now (or the promise rejects).
   */
  account(name: string): Account | undefined | Promise<Account | undefined>;
}

/** What an {@linkcode Authentication} needs. */
export interface AuthenticationContext {
  /** The accounts. */
  readonly accounts: AccountBook;
  /** Paces failed attempts, per address and per name. */
  readonly pacer: AttemptPacer;
  /** The client's address, as the limits count it. */
  readonly address: string;
  /** The longest user name, in bytes. */
  readonly maxUsernameSize: number;
}

const refused = (why: string, log = why): AuthStep => ({ kind: "refused", why, log });

/**
 * One authentication: {@linkcode Authentication.step} takes the client's
 * messages in turn.
 */
export class Authentication implements Authenticator {
  readonly #context: AuthenticationContext;
  #state: "first" | "final" | "done" = "first";
  #first: ClientFirst | undefined;
  #challenge = "";
  #account: Account | undefined;

  /** @param context The accounts, the pacer and the client's address. */
  constructor(context: AuthenticationContext) {
    this.#context = context;
  }

  /**
   * Takes the client's next message.
   *
   * @param text The message.
   * @returns What to answer.
   */
  async step(text: string): Promise<AuthStep> {
    const state = this.#state;
    this.#state = "done";
    if (state === "first") return await this.#clientFirst(text);
    if (state === "final") return await this.#clientFinal(text);
    return refused("authentication is over");
  }

  async #clientFirst(text: string): Promise<AuthStep> {
    const first = parseClientFirst(text);
    if (first === undefined) return refused("not a SCRAM-SHA-256 client-first message");
    try {
      validateUsername(first.username, this.#context.maxUsernameSize);
    } catch (error) {
      if (error instanceof ProtocolError) return refused(error.message);
      throw error;
    }
    const account = await this.#context.accounts.account(first.username);
    if (account === undefined) {
      const name = JSON.stringify(first.username);
      return refused(
        `the name ${name} is not registered: log in without a password`,
        `authentication for ${name}: not registered`,
      );
    }
    this.#first = first;
    this.#account = account;
    this.#challenge = serverFirst(account, first.nonce, makeNonce());
    this.#state = "final";
    return { kind: "challenge", text: this.#challenge };
  }

  async #clientFinal(text: string): Promise<AuthStep> {
    const account = this.#account!;
    const first = this.#first!;
    const name = JSON.stringify(first.username);
    const keys = [`address ${this.#context.address}`, `name ${nameKeys(account.name)[0]}`];
    const wait = this.#context.pacer.reserve(keys);
    if (wait === undefined) {
      return refused(
        "too many failed attempts: try again later",
        `authentication for ${name}: refused, too many failed attempts`,
      );
    }
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const signature = await checkClientFinal(account, first.bare, this.#challenge, text);
    if (signature === undefined) {
      this.#context.pacer.failed(keys);
      return refused(
        `wrong password for ${name}`,
        `authentication for ${name} failed: wrong password`,
      );
    }
    return { kind: "proven", name: first.username, text: signature };
  }
}
