import { type Command, Option } from "commander";
import type { Extension, Question } from "../../requests/access-request.js";
import { CliError } from "../fail.js";
import { seg } from "./api-client.js";
import { boundedText, type CommonOptions, clientCommand, connect, groupCommand, wholeNumber } from "./command-kit.js";
import { minutes, print, printJson, when } from "./output.js";

const text = (what: string) => new Option("--text <text>", what).argParser(boundedText(2000)).makeOptionMandatory();

/** The server says "request not found" (or question, extension): the terminal line names which one. */
async function naming<T>(what: string, call: Promise<T>): Promise<T> {
  return call.catch((err: unknown) => {
    if (err instanceof CliError && /not found$/i.test(err.message)) throw new CliError(`${err.message}: ${what}`, err.exitCode);
    throw err;
  });
}

function extensionLine(e: Extension): string {
  const of = e.status === "pending" ? ` (${e.approvals.length} of ${e.requiredApprovals} approvals)` : "";
  const end = e.accessEndsAt ? `; access now until ${when(e.accessEndsAt)}` : "";
  return `Extension ${e.id} (+${minutes(e.minutes)}) is ${e.status}${of}${end}`;
}

/** Questions and extensions on a request (SPEC 17): `requests ask|answer|extend`, `requests extension approve|deny`. */
export function registerWorkflowCommands(requests: Command): void {
  clientCommand(requests, "ask <id>", "ask the requester for more information (the customer's approvers); the deadline does not move", [
    'lockbox requests ask 0b6f4c1e-… --text "Which mailbox exactly?"',
  ])
    .addOption(text("the question (shown to the requester and in the audit log)"))
    .action(async (id: string, opts: CommonOptions & { text: string }) => {
      const q = await naming(`request ${id}`, connect(opts).post<Question>(`/v1/requests/${seg(id)}/questions`, { text: opts.text }));
      if (opts.json) printJson(q);
      else print(`Asked question ${q.id} on request ${id}`);
    });

  clientCommand(requests, "answer <id> <question-id>", "answer a question on your request (the requester)", [
    'lockbox requests answer 0b6f4c1e-… 7d1a… --text "The CEO\'s mailbox"',
  ])
    .addOption(text("the answer"))
    .action(async (id: string, qid: string, opts: CommonOptions & { text: string }) => {
      const q = await naming(`question ${qid}`, connect(opts).post<Question>(`/v1/requests/${seg(id)}/questions/${seg(qid)}/answer`, { text: opts.text }));
      if (opts.json) printJson(q);
      else print(`Answered question ${q.id} on request ${id}`);
    });

  clientCommand(requests, "extend <id>", "ask for more time on your granted access; the customer's approvers decide", [
    'lockbox requests extend 0b6f4c1e-… --minutes 30 --reason "Index rebuild still running"',
  ])
    .requiredOption("--minutes <n>", "how many more minutes", wholeNumber(1, 24 * 60))
    .requiredOption("--reason <text>", "why (shown to the customer)", boundedText(2000))
    .action(async (id: string, opts: CommonOptions & { minutes: number; reason: string }) => {
      const e = await naming(`request ${id}`, connect(opts).post<Extension>(`/v1/requests/${seg(id)}/extensions`, { minutes: opts.minutes, reason: opts.reason }));
      if (opts.json) printJson(e);
      else print(extensionLine(e));
    });

  const extension = groupCommand(requests, "extension", "decide an extension of granted access (the customer's approvers)");
  for (const verdict of ["approve", "deny"] as const) {
    clientCommand(extension, `${verdict} <id> <extension-id>`, `${verdict} an extension like a request`, [
      `lockbox requests extension ${verdict} 0b6f4c1e-… 9c2e… --comment "ok"`,
    ])
      .addOption(new Option("--comment <text>", "a comment for the audit log and the requester").argParser(boundedText(2000)))
      .action(async (id: string, eid: string, opts: CommonOptions & { comment?: string }) => {
        const body = opts.comment === undefined ? {} : { comment: opts.comment };
        const e = await naming(`extension ${eid}`, connect(opts).post<Extension>(`/v1/requests/${seg(id)}/extensions/${seg(eid)}/${verdict}`, body));
        if (opts.json) printJson(e);
        else print(extensionLine(e));
      });
  }
}
