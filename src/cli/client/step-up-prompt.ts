import { CliError } from "../fail.js";
import { EXIT } from "./exit-codes.js";
import { promptLine } from "./prompt.js";

/** What the client does when the server answers 401 step_up_required (SPEC 14). */
export interface StepUpOptions {
  /** `--otp CODE`: a code from the authenticator app (or a recovery code), for scripts. */
  otp?: string;
  /** Whether a person is at the terminal to be asked (stdin and stderr are a TTY). */
  interactive?: boolean;
}

export const OTP_HEADER = "x-lockbox-otp";

/**
 * The code to retry the refused call with, once: --otp when given, else asked on the terminal,
 * else a one-line explanation. The server lists the methods the person has; a passkey alone cannot
 * be used from a terminal, so that case says how to add an authenticator app instead.
 */
export async function stepUpCode(methods: string[], options: StepUpOptions): Promise<string> {
  if (options.otp) return options.otp;
  if (!methods.includes("totp")) {
    throw new CliError(
      "this action needs step-up, and your only second factor is a passkey, which works in the admin center; add an authenticator app under My account to use the CLI",
      EXIT.unreachable,
    );
  }
  if (!options.interactive) {
    throw new CliError("this action needs step-up: pass --otp CODE (from your authenticator app, or a recovery code), or run it in a terminal to be asked", EXIT.unreachable);
  }
  const code = await promptLine("Step-up: code from your authenticator app (or a recovery code): ");
  if (!code) throw new CliError("no code given; nothing was changed", EXIT.unreachable);
  return code;
}
