import { type ReactNode, useEffect, useState } from "react";
import { roleLabels } from "../ui/format";
import { icons } from "../ui/icons";
import { navFor } from "./navigation";
import { Link, useLocation } from "./router";
import { useSession, useUser } from "./session";

/** The frame around every signed-in page: top bar, role-aware navigation, content. */
export function AppShell({ children, orgName }: { children: ReactNode; orgName: string }) {
  const user = useUser();
  const { signOut } = useSession();
  const { pathname } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const items = navFor(user);

  useEffect(() => setMenuOpen(false), [pathname]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="icon-button menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <icons.menu />
          <span className="visually-hidden">Menu</span>
        </button>
        <Link to="/" className="brand">
          <icons.lock />
          <span>Lockbox</span>
          <span className="brand-sub">admin center</span>
        </Link>
        <span className="org-chip" title="Your organization">
          {orgName}
        </span>
        <div className="topbar-user">
          <span className="user-name">
            {user.name}
            <span className="user-roles">{user.roles.map((r) => roleLabels[r] ?? r).join(", ")}</span>
          </span>
          <button type="button" className="button button-subtle" onClick={() => void signOut()}>
            <icons.signOut /> Sign out
          </button>
        </div>
      </header>
      <div className="body">
        <nav id="primary-nav" className={`nav${menuOpen ? " is-open" : ""}`} aria-label="Main">
          <ul>
            {items.map((item) => {
              const current = pathname === item.to || (item.to === "/requests" && pathname.startsWith("/requests/"));
              return (
                <li key={item.to}>
                  <Link to={item.to} aria-current={current ? "page" : undefined} className="nav-link">
                    <item.icon />
                    <span>{item.label}</span>
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <main id="main" className="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
