// What every end-to-end script needs: the environment the Go test sets,
// Debian's Chromium, signing in (with every CSP violation a failure),
// calling the API as the signed-in user, polling, and axe-core plus a
// screenshot per page.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`${k} must be set`);
  return v;
};

export const cred = (k) => {
  const v = env(k);
  const i = v.indexOf(':');
  return { email: v.slice(0, i), password: v.slice(i + 1) };
};

/** A run: check() records each step, finish() exits non-zero if any failed. */
export async function start() {
  const base = env('CONSOLE_URL');
  const artifacts = env('ARTIFACTS', join(here, '..', 'e2e-artifacts'));
  mkdirSync(artifacts, { recursive: true });
  const failures = [];
  const check = (ok, what) => {
    if (!ok) failures.push(what);
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    return ok;
  };
  const browser = await chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });

  async function audit(page, name) {
    await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
    // Evaluated through DevTools: the console's CSP rightly refuses an
    // inline <script>, which is what addScriptTag would add.
    await page.evaluate(axeSource);
    const result = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    });
    check(result.length === 0, `axe: no serious violations on ${name}${result.length ? ': ' + result.join('; ') : ''}`);
  }

  const newContext = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    // Every wait is for a state, bounded only against a hang: a loaded
    // machine (the tests share two cores) can take long to get there.
    context.setDefaultTimeout(60_000);
    return context;
  };

  /** Signs who in, in a new context unless one is given; answers { context, page }. */
  async function signIn(who, context) {
    context ??= await newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    // The console's CSP must allow everything the app does: a violation is a failure.
    page.on('console', (msg) => {
      // The template preview (a srcdoc frame) inherits the CSP, so the mail's
      // inline styles are refused there by design (infra/README.md).
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text()) && !msg.location().url.startsWith('about:srcdoc')) {
        failures.push(`CSP violation at ${msg.location().url}: ${msg.text()}`);
      }
    });
    await page.goto(base);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return { context, page };
  }

  /** Calls the API from the page with the signed-in user's token. */
  async function apiFrom(page, method, path, body, headers = {}) {
    return page.evaluate(
      async ({ method, path, body, headers }) => {
        const key = Object.keys(localStorage).find((k) => k.endsWith('.idToken'));
        const res = await fetch(path, {
          method,
          headers: { Authorization: `Bearer ${localStorage.getItem(key)}`, 'Content-Type': 'application/json', ...headers },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        });
        return { status: res.status, body: await res.json() };
      },
      { method, path, body, headers },
    );
  }

  /**
   * Polls fn (run in Node, may call the page) until it answers a truthy
   * value, and answers it; fails with what after timeoutMs. The bound only
   * stops a hang: a loaded machine is slow, so it is generous.
   */
  async function poll(what, fn, timeoutMs = 60_000, everyMs = 250) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        last = await fn();
        if (last) return last;
      } catch (err) {
        last = err.message;
      }
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s (last: ${JSON.stringify(last)})`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  async function finish(run) {
    try {
      await run();
    } catch (err) {
      failures.push(`step failed: ${err.message.split('\n')[0]}`);
      console.error(err);
      // What each open page showed when the step failed.
      let i = 0;
      for (const context of browser.contexts()) {
        for (const page of context.pages()) {
          const path = join(artifacts, `failure-${++i}.png`);
          await page.screenshot({ path, fullPage: true }).then(
            () => console.error(`screenshot of ${page.url()} at the failure: ${path}`),
            () => {},
          );
        }
      }
    } finally {
      await browser.close();
    }
    if (failures.length) {
      console.error(`\n${failures.length} failure(s):\n- ${failures.join('\n- ')}`);
      process.exit(1);
    }
    console.log('\nall passed');
  }

  return { base, check, audit, newContext, signIn, apiFrom, poll, finish };
}
