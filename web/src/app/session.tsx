import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { api, setCsrfToken, setUnauthenticatedHandler } from "../api/client";
import type { Role, Session, User } from "../api/types";
import { navigate } from "./router";

interface SessionState {
  user: User | null;
  /** true until the first /v1/me answer (or the decision not to ask). */
  checking: boolean;
  signIn(email: string, password: string): Promise<void>;
  /** Takes a session another sign-in method started (passkey): the same answer as password sign-in. */
  adoptSession(session: Session): void;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

// Remembers only that this browser signed in, so a first-time visitor is shown the sign-in page
// without a 401 from /v1/me. The session itself stays in the HTTP-only cookie.
const HINT_KEY = "lockbox.signedIn";

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(true);

  const adopt = useCallback((session: Session | null) => {
    setCsrfToken(session?.csrfToken ?? null);
    setUser(session?.user ?? null);
    if (session) localStorage.setItem(HINT_KEY, "1");
    else localStorage.removeItem(HINT_KEY);
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => adopt(null));
    if (localStorage.getItem(HINT_KEY)) {
      api
        .get<Session>("/v1/me")
        .then(adopt, () => adopt(null))
        .finally(() => setChecking(false));
    } else {
      setChecking(false);
    }
    return () => setUnauthenticatedHandler(null);
  }, [adopt]);

  const value = useMemo<SessionState>(
    () => ({
      user,
      checking,
      async signIn(email, password) {
        adopt(await api.post<Session>("/v1/auth/login", { email, password }));
      },
      adoptSession: adopt,
      async signOut() {
        try {
          await api.post("/v1/auth/logout");
        } finally {
          adopt(null);
          // The next person to sign in here starts on their own start page.
          navigate("/", { replace: true });
        }
      },
    }),
    [user, checking, adopt],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/** The signed-in user; only for pages rendered behind the sign-in gate. */
export function useUser(): User {
  const { user } = useSession();
  if (!user) throw new Error("useUser without a signed-in user");
  return user;
}

export function hasRole(user: User, ...roles: Role[]): boolean {
  return user.roles.some((r) => roles.includes(r));
}

export const isProviderStaff = (user: User) => user.tenantId === null;
