// Sign-in against the Cognito user pool with amazon-cognito-identity-js:
// email + password (USER_PASSWORD_AUTH), the NEW_PASSWORD_REQUIRED step for
// invited users, sessions kept in localStorage by the library and refreshed
// with the refresh token until it expires.
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  CognitoUserSession,
} from 'amazon-cognito-identity-js';
import type { ConsoleConfig } from './config';
import type { Role } from '@/types/api';

export interface Session {
  email: string;
  role: Role | null;
  idToken: string;
  expiresAt: number;
}

export type SignInResult =
  | { kind: 'signed-in'; session: Session }
  | { kind: 'new-password-required'; complete: (newPassword: string) => Promise<Session> };

const ROLE_ORDER: Role[] = ['viewer', 'marketer', 'approver', 'admin'];

export function roleFromGroups(groups: unknown): Role | null {
  if (!Array.isArray(groups)) return null;
  let best: Role | null = null;
  for (const g of groups) {
    const i = ROLE_ORDER.indexOf(g as Role);
    if (i >= 0 && (best === null || i > ROLE_ORDER.indexOf(best))) best = ROLE_ORDER[i];
  }
  return best;
}

function toSession(s: CognitoUserSession): Session {
  const id = s.getIdToken();
  const p = id.decodePayload();
  return {
    email: String(p.email ?? p['cognito:username'] ?? ''),
    role: roleFromGroups(p['cognito:groups']),
    idToken: id.getJwtToken(),
    expiresAt: id.getExpiration() * 1000,
  };
}

export class Auth {
  private pool: CognitoUserPool;

  constructor(cfg: ConsoleConfig) {
    this.pool = new CognitoUserPool({
      UserPoolId: cfg.userPoolId,
      ClientId: cfg.userPoolClientId,
      endpoint: cfg.cognitoEndpoint || undefined,
    });
  }

  /** The stored session, refreshed when its tokens have expired; null when signed out. */
  current(): Promise<Session | null> {
    const user = this.pool.getCurrentUser();
    if (!user) return Promise.resolve(null);
    return new Promise((resolve) => {
      user.getSession((err: Error | null, s: CognitoUserSession | null) => {
        resolve(err || !s || !s.isValid() ? null : toSession(s));
      });
    });
  }

  signIn(email: string, password: string): Promise<SignInResult> {
    const user = new CognitoUser({ Username: email.trim(), Pool: this.pool });
    user.setAuthenticationFlowType('USER_PASSWORD_AUTH');
    const details = new AuthenticationDetails({ Username: email.trim(), Password: password });
    return new Promise((resolve, reject) => {
      user.authenticateUser(details, {
        onSuccess: (s) => resolve({ kind: 'signed-in', session: toSession(s) }),
        onFailure: (err: Error) => reject(friendly(err)),
        newPasswordRequired: () =>
          resolve({
            kind: 'new-password-required',
            complete: (newPassword: string) =>
              new Promise<Session>((ok, fail) => {
                user.completeNewPasswordChallenge(newPassword, {}, {
                  onSuccess: (s) => ok(toSession(s)),
                  onFailure: (err: Error) => fail(friendly(err)),
                });
              }),
          }),
      });
    });
  }

  signOut(): void {
    this.pool.getCurrentUser()?.signOut();
  }
}

function friendly(err: Error): Error {
  const name = (err as Error & { code?: string }).code ?? err.name;
  if (name === 'NotAuthorizedException') return new Error('Incorrect email or password, or the account is disabled.');
  if (name === 'UserNotFoundException') return new Error('Incorrect email or password, or the account is disabled.');
  if (name === 'InvalidPasswordException') return new Error(err.message || 'That password does not meet the policy.');
  return new Error(err.message || 'Sign-in failed.');
}
