import { useState, type FormEvent } from 'react';
import { useDisable, useInvite, useSetRole, useUsers } from '../api/users';
import { ErrorMessage, PageHeader, formatDate } from '@/components/ui';
import { QueryState } from '@/components/query-state';
import { useSession } from '@/lib/session';
import type { Role } from '@/types/api';

const ROLES: Role[] = ['viewer', 'marketer', 'approver', 'admin'];

export function UsersPage() {
  const users = useUsers();
  const invite = useInvite();
  const setRole = useSetRole();
  const disable = useDisable();
  const me = useSession().session.email;
  const [email, setEmail] = useState('');
  const [role, setNewRole] = useState<Role>('marketer');

  function submit(e: FormEvent) {
    e.preventDefault();
    invite.mutate({ email: email.trim(), role }, { onSuccess: () => setEmail('') });
  }

  return (
    <>
      <PageHeader title="Users" />
      <section className="card" aria-labelledby="invite-h">
        <h2 id="invite-h">Invite someone</h2>
        <form className="toolbar" onSubmit={submit}>
          <label className="grow">
            Email
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required placeholder="colleague@company.com" />
          </label>
          {/* A label beside (not around) the select: wrapped, its name would include the chosen option. */}
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <select id="invite-role" value={role} onChange={(e) => setNewRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary" disabled={invite.isPending}>
            {invite.isPending ? 'Inviting…' : 'Invite'}
          </button>
        </form>
        <ErrorMessage error={invite.error} />
        {invite.data && (
          <div role="status" className="notice notice-ok">
            Invited {invite.data.email} as {invite.data.role}.
            {invite.data.temporary_password ? (
              <>
                {' '}
                Temporary password (shown once, pass it on securely): <code className="secret">{invite.data.temporary_password}</code>
              </>
            ) : (
              ' They will get an email with a temporary password.'
            )}
          </div>
        )}
      </section>
      <ErrorMessage error={setRole.error ?? disable.error} />
      <QueryState
        query={users}
        loading="Loading users…"
        isEmpty={(d) => d.users.length === 0}
        empty={{ title: 'No users yet', next: 'Invite your team with the form above: each gets an email with a temporary password.' }}
      >
        {(data) => (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Console users</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.users.map((u) => (
                <tr key={u.id} className={u.enabled ? '' : 'disabled-row'}>
                  <td>{u.email}</td>
                  <td>
                    <select
                      aria-label={`Role of ${u.email}`}
                      value={u.role || ''}
                      disabled={u.email === me || !u.enabled}
                      onChange={(e) => setRole.mutate({ id: u.id, role: e.target.value as Role })}
                    >
                      {!u.role && <option value="">none</option>}
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>{u.enabled ? (u.status === 'FORCE_CHANGE_PASSWORD' ? 'Invited' : 'Active') : 'Disabled'}</td>
                  <td>{formatDate(u.created_at)}</td>
                  <td>
                    {u.enabled && u.email !== me && (
                      <button
                        type="button"
                        className="danger"
                        onClick={() => {
                          if (window.confirm(`Disable ${u.email}? They will no longer be able to sign in.`)) disable.mutate(u.id);
                        }}
                      >
                        Disable
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        )}
      </QueryState>
    </>
  );
}
