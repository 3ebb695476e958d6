// config.json sits next to index.html: the local runner serves it from the
// running platform, the stack writes it next to the deployed console.
export interface ConsoleConfig {
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** Local only: the local Cognito server instead of cognito-idp.<region>.amazonaws.com. */
  cognitoEndpoint?: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: ${res.status} ${res.statusText}`);
  const cfg = (await res.json()) as ConsoleConfig;
  if (!cfg.userPoolId || !cfg.userPoolClientId) {
    throw new Error('config.json names no user pool: the API has no console sign-in configured');
  }
  return cfg;
}
