import { useEffect, useState } from "react";
import { api } from "../../api/client";
import type { Session } from "../../api/types";
import { useSession } from "../../app/session";
import { Notice } from "../../ui/alerts";

/** The callback's refusal reasons (src/identity/sso/sso-refusal.ts) as sentences for the person. */
const problems: Record<string, string> = {
  sso_not_configured: "Your organization does not sign in through its own identity provider. Use your email and password.",
  idp_unreachable: "Your organization's identity provider could not be reached. Try again in a moment.",
  idp_error: "Your organization's identity provider did not sign you in.",
  state_invalid: "The sign-in took too long or was started in another window. Start it again.",
  token_invalid: "Your organization's identity provider sent an answer Lockbox could not verify. Ask your administrator to check the sign-in settings.",
  email_unverified: "Your identity provider has not verified your email address.",
  email_domain_not_allowed: "Your email address is not in a domain your organization signs in with.",
  user_not_provisioned: "You have no Lockbox account in this organization yet. Ask your administrator to invite you.",
  no_mapped_role: "None of your groups gives you a role in Lockbox. Ask your administrator for access.",
  user_deactivated: "Your Lockbox account is deactivated. Ask your administrator.",
  sso_failed: "Signing in through your organization did not work. Try again.",
};

/** `?sso=signed_in`: the callback started a session; read once, then tidied away. */
function takeSignedIn(): boolean {
  const params = new URLSearchParams(window.location.search);
  if (params.get("sso") !== "signed_in") return false;
  params.delete("sso");
  const rest = params.toString();
  window.history.replaceState(null, "", window.location.pathname + (rest ? `?${rest}` : ""));
  return true;
}

/** Reads `?sso_error=` once (the callback sends the browser back with it), then tidies the address bar. */
function takeProblem(): string | null {
  const params = new URLSearchParams(window.location.search);
  const reason = params.get("sso_error");
  if (!reason) return null;
  params.delete("sso_error");
  const rest = params.toString();
  window.history.replaceState(null, "", window.location.pathname + (rest ? `?${rest}` : ""));
  return problems[reason] ?? problems.sso_failed!;
}

/**
 * "Sign in with your organization": the email typed above picks the org's identity provider by
 * its domain, and the browser goes there (a top-level navigation, so the IdP's own page and
 * cookies work). It shares the password form's email field rather than asking for it twice.
 */
export function SsoSignIn({ email }: { email: string }) {
  const [problem, setProblem] = useState(takeProblem);
  const { adoptSession } = useSession();
  // Back from the IdP with a session cookie this page has not seen yet: adopt it.
  useEffect(() => {
    if (!takeSignedIn()) return;
    api.get<Session>("/v1/me").then(adoptSession, () => setProblem(problems.sso_failed!));
  }, [adoptSession]);
  const go = () => {
    const address = email.trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(address)) {
      setProblem("Type your work email above, then choose Sign in with your organization.");
      return;
    }
    window.location.assign(`/v1/auth/sso/start?email=${encodeURIComponent(address)}`);
  };
  return (
    <div className="stack-sm subform">
      {problem && <Notice tone="warning">{problem}</Notice>}
      <button type="button" className="button button-block" onClick={go}>
        Sign in with your organization
      </button>
    </div>
  );
}
