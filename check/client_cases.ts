/**
 * Every client case of the kit, in the order they run.
 *
 * @module
 */

import type { CheckCase } from "./case.ts";
import type { ClientContext } from "./client_context.ts";
import { CLIENT_DISPLAY_CASES } from "./client_cases/display.ts";
import { CLIENT_SENDING_CASES } from "./client_cases/sending.ts";

/** The client cases. */
export const CLIENT_CASES: readonly CheckCase<ClientContext>[] = [
  ...CLIENT_SENDING_CASES,
  ...CLIENT_DISPLAY_CASES,
];
