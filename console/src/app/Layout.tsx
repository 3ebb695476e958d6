import { NavLink, Outlet } from 'react-router';
import { useSession } from '@/lib/session';
import type { Role } from '@/types/api';
import { NAV } from './routes';

const RANK: Record<Role, number> = { viewer: 1, marketer: 2, approver: 3, admin: 4 };

export function Layout() {
  const { session, signOut } = useSession();
  const items = NAV.filter((n) => session.role && RANK[session.role] >= RANK[n.minRole]);
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            L
          </span>{' '}
          Leadflow
        </div>
        <nav aria-label="Main">
          <ul>
            {items.map((n) => (
              <li key={n.path}>
                <NavLink to={n.path}>{n.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <div className="who-email">{session.email}</div>
          <div className="muted small">{session.role ?? 'no role'}</div>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" className="content" tabIndex={-1}>
        {session.role === null && (
          <div role="alert" className="notice notice-warn">
            Your account has no role yet. Ask an admin to give you one.
          </div>
        )}
        <Outlet />
      </main>
    </div>
  );
}
