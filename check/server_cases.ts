/**
 * Every server case of the kit, in the order they run: by section of the
 * protocol, then wirechat's extensions.
 *
 * @module
 */

import type { CheckCase } from "./case.ts";
import type { ServerContext } from "./server_context.ts";
import { BAD_INPUT_CASES } from "./server_cases/bad_input.ts";
import { CONVERSATION_CASES } from "./server_cases/conversation.ts";
import { DATA_TYPE_CASES } from "./server_cases/data_types.ts";
import { EXTENSION_CASES } from "./server_cases/extensions.ts";
import { LIMIT_CASES } from "./server_cases/limits.ts";

/** The server cases. */
export const SERVER_CASES: readonly CheckCase<ServerContext>[] = [
  ...DATA_TYPE_CASES,
  ...CONVERSATION_CASES,
  ...LIMIT_CASES,
  ...BAD_INPUT_CASES,
  ...EXTENSION_CASES,
];
