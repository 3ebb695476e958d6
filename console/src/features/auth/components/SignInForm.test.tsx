import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SignInForm } from './SignInForm';
import type { Session, SignInResult } from '@/lib/auth';

const session: Session = { email: 'new@example.com', role: 'viewer', idToken: 't', expiresAt: Date.now() + 3600_000 };

describe('SignInForm', () => {
  it('asks an invited user for a new password, checks the two match, then signs in', async () => {
    const complete = vi.fn(async (_pw: string) => session);
    const signIn = vi.fn(async (): Promise<SignInResult> => ({ kind: 'new-password-required', complete }));
    const onSignedIn = vi.fn();
    const user = userEvent.setup();
    render(<SignInForm auth={{ signIn }} onSignedIn={onSignedIn} />);

    await user.type(screen.getByLabelText('Email'), 'new@example.com');
    await user.type(screen.getByLabelText('Password'), 'Temp-1234!');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(signIn).toHaveBeenCalledWith('new@example.com', 'Temp-1234!');

    await user.type(await screen.findByLabelText('New password'), 'Chosen-Passw0rd!');
    await user.type(screen.getByLabelText('Repeat the new password'), 'Chosen-Passw0rd?');
    await user.click(screen.getByRole('button', { name: 'Set password and sign in' }));
    expect((screen.getByRole('alert')).textContent).toContain('The two passwords differ.');
    expect(complete).not.toHaveBeenCalled();

    await user.clear(screen.getByLabelText('Repeat the new password'));
    await user.type(screen.getByLabelText('Repeat the new password'), 'Chosen-Passw0rd!');
    await user.click(screen.getByRole('button', { name: 'Set password and sign in' }));
    expect(complete).toHaveBeenCalledWith('Chosen-Passw0rd!');
    expect(onSignedIn).toHaveBeenCalledWith(session);
  });

  it("shows why a sign-in failed", async () => {
    const signIn = vi.fn(async (): Promise<SignInResult> => {
      throw new Error('Incorrect email or password, or the account is disabled.');
    });
    const user = userEvent.setup();
    render(<SignInForm auth={{ signIn }} onSignedIn={vi.fn()} />);
    await user.type(screen.getByLabelText('Email'), 'a@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Incorrect email or password');
  });
});
