import type { Command } from "commander";
import type { User } from "../../identity/roles.js";
import type { OpenInvitation } from "../../identity/manage-invitations.js";
import { seg } from "./api-client.js";
import { type CommonOptions, clientCommand, connect, groupCommand, wholeNumber } from "./command-kit.js";
import { localTime, paint, print, printJson, relative, type Style, table } from "./output.js";

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const statusStyle: Record<string, Style> = { active: "green", invited: "yellow", deactivated: "dim" };

function userLine(u: User): string {
  return `${u.name} <${u.email}> is ${paint(statusStyle[u.status] ?? "bold", u.status)}`;
}

/**
 * `lockbox users …` and `lockbox invitations …` (SPEC 20): the people of the caller's own org —
 * provider staff for a provider admin, the tenant's users for its global admin.
 */
export function registerPeopleCommands(program: Command): void {
  const users = groupCommand(program, "users", "list the people of your organization; deactivate, reactivate or remove them");

  clientCommand(users, "list", "list the people of your organization with their roles and status", [
    "lockbox users list",
    "lockbox users list --json",
  ])
    .option("--limit <n>", "at most this many (1-200, default 50)", wholeNumber(1, 200))
    .option("--cursor <cursor>", "continue a previous listing (its nextCursor)")
    .action(async (opts: CommonOptions & { limit?: number; cursor?: string }) => {
      const page = await connect(opts).get<Page<User>>("/v1/users", { limit: opts.limit, cursor: opts.cursor });
      if (opts.json) return printJson(page);
      if (page.items.length === 0) return print("No users.");
      print(
        table(
          ["ID", "NAME", "EMAIL", "ROLES", "STATUS", "CREATED"],
          page.items.map((u) => [u.id, u.name, u.email, u.roles.join(","), paint(statusStyle[u.status] ?? "bold", u.status), localTime(u.createdAt)]),
        ),
      );
      if (page.nextCursor) process.stderr.write(`More users: add --cursor ${page.nextCursor}\n`);
    });

  clientCommand(
    users,
    "deactivate <user-id>",
    "end a person's sessions and API tokens at once; their pending approvals stop counting (reversible)",
    ["lockbox users deactivate 0b6f4c1e-…"],
  ).action(async (id: string, opts: CommonOptions) => {
    const u = await connect(opts).post<User>(`/v1/users/${seg(id)}/deactivate`);
    if (opts.json) printJson(u);
    else print(`${userLine(u)}: signed out everywhere, API tokens deleted.`);
  });

  clientCommand(users, "reactivate <user-id>", "let a deactivated person sign in again (old sessions and tokens stay ended)", [
    "lockbox users reactivate 0b6f4c1e-…",
  ]).action(async (id: string, opts: CommonOptions) => {
    const u = await connect(opts).post<User>(`/v1/users/${seg(id)}/reactivate`);
    if (opts.json) printJson(u);
    else if (u.status === "invited") print(`${userLine(u)}: send a new link with lockbox invitations resend (see lockbox invitations list).`);
    else print(`${userLine(u)}.`);
  });

  clientCommand(users, "remove <user-id>", "remove a person for good; the audit log keeps their history", [
    "lockbox users remove 0b6f4c1e-…",
  ]).action(async (id: string, opts: CommonOptions) => {
    await connect(opts).call<void>("DELETE", `/v1/users/${seg(id)}`);
    if (opts.json) printJson({ id, removed: true });
    else print(`User ${id} was removed.`);
  });

  const invitations = groupCommand(program, "invitations", "list, revoke or re-send the invitations of your organization");

  clientCommand(invitations, "list", "list invitations not yet accepted (expired ones too, to re-send)", [
    "lockbox invitations list",
  ]).action(async (opts: CommonOptions) => {
    const page = await connect(opts).get<Page<OpenInvitation>>("/v1/invitations");
    if (opts.json) return printJson(page);
    if (page.items.length === 0) return print("No open invitations.");
    const expires = (at: string) => (Date.parse(at) <= Date.now() ? paint("red", "expired") : `expires ${relative(at)}`);
    print(
      table(
        ["ID", "NAME", "EMAIL", "SENT", "EXPIRES"],
        page.items.map((i) => [i.id, i.name, i.email, localTime(i.createdAt), expires(i.expiresAt)]),
      ),
    );
  });

  clientCommand(invitations, "revoke <invitation-id>", "revoke an invitation: its link stops working", [
    "lockbox invitations revoke 7c1d…",
  ]).action(async (id: string, opts: CommonOptions) => {
    await connect(opts).call<void>("DELETE", `/v1/invitations/${seg(id)}`);
    if (opts.json) printJson({ id, revoked: true });
    else print(`Invitation ${id} was revoked; its link no longer works.`);
  });

  clientCommand(invitations, "resend <invitation-id>", "make a new link (valid 72 hours); the old link stops working", [
    "lockbox invitations resend 7c1d…",
  ]).action(async (id: string, opts: CommonOptions) => {
    const inv = await connect(opts).post<{ token: string; url: string; expiresAt: string }>(`/v1/invitations/${seg(id)}/resend`);
    if (opts.json) return printJson(inv);
    print(`New invitation link (shown once; send it to the person), valid until ${localTime(inv.expiresAt)}:\n${inv.url}`);
  });
}
