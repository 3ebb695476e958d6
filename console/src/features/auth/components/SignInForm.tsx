import { useState, type FormEvent } from 'react';
import type { Auth, Session } from '@/lib/auth';

type Step = { kind: 'credentials' } | { kind: 'new-password'; complete: (pw: string) => Promise<Session> };

export function SignInForm({ auth, onSignedIn }: { auth: Pick<Auth, 'signIn'>; onSignedIn: (s: Session) => void }) {
  const [step, setStep] = useState<Step>({ kind: 'credentials' });
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (step.kind === 'credentials') {
        const r = await auth.signIn(email, password);
        if (r.kind === 'signed-in') onSignedIn(r.session);
        else setStep({ kind: 'new-password', complete: r.complete });
      } else {
        if (newPassword !== confirm) {
          setError('The two passwords differ.');
          return;
        }
        onSignedIn(await step.complete(newPassword));
      }
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">L</span> Leadflow
        </div>
        {step.kind === 'credentials' ? (
          <>
            <h1 id="signin-title">Sign in to the console</h1>
            <label>
              Email
              <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </label>
            <label>
              Password
              <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
          </>
        ) : (
          <>
            <h1 id="signin-title">Choose your password</h1>
            <p className="muted">This is your first sign-in. Pick a password of at least 12 characters with upper and lower case letters, a digit and a symbol.</p>
            <label>
              New password
              <input type="password" autoComplete="new-password" required minLength={8} value={newPassword} onChange={(e) => setNewPassword(e.target.value)} />
            </label>
            <label>
              Repeat the new password
              <input type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
            </label>
          </>
        )}
        {error && (
          <div role="alert" className="notice notice-error">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Please wait…' : step.kind === 'credentials' ? 'Sign in' : 'Set password and sign in'}
        </button>
      </form>
    </main>
  );
}
