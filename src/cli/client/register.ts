import type { Command } from "commander";
import { registerAuditCommands } from "./audit-commands.js";
import { addCommonOptions } from "./command-kit.js";
import { registerLoginCommands } from "./login-command.js";
import { registerPeopleCommands } from "./people-commands.js";
import { registerRequestCommands } from "./requests-commands.js";
import { registerTenantCommands } from "./tenants-commands.js";
import { registerSinkCommands } from "./sinks-commands.js";
import { registerPolicyCommands } from "./policies-commands.js";

/** The client commands (SPEC section 10): they talk to a running server over its HTTP API. */
export function registerClientCommands(program: Command): void {
  registerLoginCommands(program);
  registerRequestCommands(program);
  registerTenantCommands(program);
  registerPolicyCommands(program);
  registerSinkCommands(program);
  registerPeopleCommands(program);
  registerAuditCommands(program);
  addCommonOptions();
}
