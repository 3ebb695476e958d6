// End-to-end test of the console against the real local stack, driving
// Debian's Chromium with playwright-core. The Go test TestConsoleEndToEnd
// (local/runner) starts the stack, makes the users and sends the contact
// through the tracking API, then runs this with:
//   CONSOLE_URL       http://127.0.0.1:PORT/console/
//   MARKETER, VIEWER, ADMIN   "email:password" of a user of each role
//   CONTACT_EMAIL     a contact the test sent through the tracking API
//   CHROMIUM          the browser (default /usr/bin/chromium)
//   ARTIFACTS         where screenshots go (default console/e2e-artifacts)
// It checks every page with axe-core (no serious or critical violations)
// and saves a screenshot of each. Exit status 0 only if every step passed.
import { readFileSync } from 'node:fs';
import { cred, env, start } from './helpers.mjs';

const { base, check, audit, newContext, signIn, finish } = await start();
const contactEmail = env('CONTACT_EMAIL');

// The overview is the landing page: it shows the counts of what the Go test
// sent through the tracking API (OVERVIEW_EXPECT: "name=n,..." of the
// period's totals, by the labels of the totals), draws charts whose legend
// gives a day's numbers on hover and from the keyboard, and shows the
// circuit breaker.
async function checkOverview(page) {
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.locator('.chart-plot canvas').first().waitFor();
  const expect = env('OVERVIEW_EXPECT', '');
  for (const pair of expect.split(',').filter(Boolean)) {
    const [label, want] = pair.split('=');
    const got = (await page.locator('.kpis li', { hasText: label }).locator('.kpi-value').innerText()).replace(/,/g, '');
    check(got === want, `the overview counts ${want} ${label} sent through the tracking API (shows ${got})`);
  }
  const contacts = page.locator('figure', { has: page.getByRole('heading', { name: 'Contacts', exact: true }) });
  const plot = contacts.locator('.chart-plot .u-over');
  const box = await plot.boundingBox();
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
  const today = new Date().toISOString().slice(0, 10);
  const legend = await contacts.locator('.u-legend').innerText();
  check(legend.includes(today) && /new contacts\s*1(?!\d)/i.test(legend), `hovering the contacts chart shows today's numbers (${legend.replace(/\s+/g, ' ')})`);
  await contacts.locator('.chart-plot').focus();
  await page.keyboard.press('End');
  const readout = await contacts.locator('.chart-plot [aria-live]').innerText();
  check(readout.startsWith(today) && readout.includes('New contacts 1'), `the keyboard reads the chart day by day (${readout})`);
  check(await page.getByRole('heading', { name: /Circuit breaker/ }).isVisible(), 'the overview shows the circuit breaker');
  await page.getByRole('heading', { name: 'Lifecycle funnel' }).waitFor();
  await audit(page, '01b-overview');
}

await finish(async () => {
  // --- marketer: sign in, find the contact, read the score, change the stage.
  {
    const context = await newContext();
    const page0 = await context.newPage();
    await page0.goto(base);
    await page0.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await audit(page0, '01-sign-in');
    await page0.close();

    const m = cred('MARKETER');
    const { page } = await signIn(m, context);
    check(await page.getByText(m.email).isVisible(), 'the signed-in user is shown');
    await checkOverview(page);
    await page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await page.getByRole('link', { name: contactEmail }).waitFor();
    await audit(page, '02-contacts');

    await page.getByLabel('Search by').selectOption('email');
    await page.getByLabel('Email').fill(contactEmail);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: contactEmail }).click();
    await page.getByRole('heading', { name: contactEmail }).waitFor();
    await page.getByRole('heading', { name: 'Score explanation' }).waitFor();
    await page.getByText(/^Total \d+/).waitFor();
    check(await page.getByRole('heading', { name: 'Timeline' }).isVisible(), 'the contact page shows the timeline');
    await audit(page, '03-contact');

    // Messages: the send the Go test made is listed with its status.
    await page.getByRole('heading', { name: 'Messages' }).waitFor();
    const sendRow = page.locator('section[aria-labelledby="messages-h"] tbody tr').first();
    await sendRow.waitFor();
    const sendText = await sendRow.innerText();
    check(/welcome/.test(sendText) && /(skipped|sent|delivered)/.test(sendText), `the contact page lists the message and its status (${sendText.replace(/\s+/g, ' ')})`);
    // Score over time: uPlot draws it (loaded with the chart), and every
    // point explains itself, on hover and from the keyboard.
    await page.locator('.score-chart canvas').first().waitFor();
    const caption = page.locator('.score-chart figcaption');
    const newest = await caption.innerText();
    check(/after .+: [+-]?\d+ \S+ \((fit|engagement)/.test(newest), `the newest score point is explained (${newest})`);
    const slider = page.getByRole('slider', { name: /^Point/ });
    await slider.focus();
    await page.keyboard.press('Home');
    const oldest = await caption.innerText();
    check(oldest !== newest && /after .+: /.test(oldest), `the keyboard selects the oldest point and explains it (${oldest})`);
    const over = page.locator('.score-chart .u-over');
    const box = await over.boundingBox();
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    await page.waitForFunction((before) => document.querySelector('.score-chart figcaption')?.textContent !== before, oldest, { timeout: 5000 }).catch(() => {});
    check((await caption.innerText()) === newest, 'hovering the chart\'s right end explains the newest point');
    await audit(page, '03b-contact-messages-score');

    await page.getByLabel('New stage').selectOption('mql');
    await page.getByLabel('Reason').fill('Asked for a demo on the phone');
    await page.getByRole('button', { name: 'Change stage' }).click();
    await page.getByText('Stage changed to mql.').waitFor();
    await page.getByText('Asked for a demo on the phone').first().waitFor();
    check(true, 'a marketer changes the stage with a reason');

    // The session survives a reload.
    await page.reload();
    await page.getByRole('heading', { name: contactEmail }).waitFor();
    check(true, 'the session survives a reload');

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByText('Changed a contact’s stage').first().waitFor();
    await audit(page, '04-audit');
    check(!(await page.getByRole('link', { name: 'Users' }).isVisible()), 'a marketer has no Users page');

    // Templates: a broken HTML edit is refused with the problem at its line,
    // and the preview renders (the saved version, unchanged by the refusal).
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('link', { name: 'Newsletter welcome' }).click();
    await page.getByRole('heading', { name: 'Newsletter welcome' }).waitFor();
    await page.getByLabel('HTML', { exact: true }).fill('<p>Hello</p>\n<p>{{ contact.first_name </p>');
    await page.getByRole('button', { name: 'Save' }).click();
    const problem = page.locator('#tpl-html-problems li').first();
    await problem.waitFor();
    const problemText = await problem.innerText();
    check(/^html, line 2, column \d+:/.test(problemText), `the template's problem is shown at its line (${problemText})`);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByTitle('Email preview').waitFor();
    check((await page.locator('.preview p').first().innerText()).includes('Welcome'), 'the preview shows the rendered subject');
    await audit(page, '04b-template');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    check(true, 'sign-out returns to the sign-in page');
    await context.close();
  }

  // --- viewer: no stage form, and the API refuses the change.
  {
    const { context, page } = await signIn(cred('VIEWER'));
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    check(true, 'a viewer lands on the overview');
    await page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await page.getByRole('link', { name: contactEmail }).click();
    await page.getByRole('heading', { name: contactEmail }).waitFor();
    check(await page.getByText('Viewers cannot change stages.').isVisible(), 'a viewer is offered no stage change');
    check(!(await page.getByRole('button', { name: 'Change stage' }).isVisible()), 'a viewer has no Change stage button');
    const id = decodeURIComponent(page.url().split('/contacts/')[1]);
    const refused = await page.evaluate(async (contactId) => {
      const key = Object.keys(localStorage).find((k) => k.endsWith('.idToken'));
      const res = await fetch(`/v1/contacts/${encodeURIComponent(contactId)}/stage`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${localStorage.getItem(key)}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ stage: 'customer', reason: 'sneaky' }),
      });
      return { status: res.status, body: await res.json() };
    }, id);
    check(refused.status === 403 && refused.body.error?.code === 'forbidden', `the API refuses a viewer's stage change (got ${refused.status} ${JSON.stringify(refused.body)})`);
    await audit(page, '05-contact-as-viewer');
    await context.close();
  }

  // --- admin: invite a user; the temporary password is shown once.
  {
    const { context, page } = await signIn(cred('ADMIN'));
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Invite someone' }).waitFor();
    const invitee = `invited-${Date.now()}@example.test`;
    await page.getByLabel('Email', { exact: true }).fill(invitee);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText(`Invited ${invitee} as viewer.`).waitFor();
    check(await page.locator('code.secret').isVisible(), 'the temporary password is shown');
    await page.getByRole('cell', { name: invitee }).waitFor();
    await audit(page, '06-users');

    // Export downloads the contact's JSON; erase needs the email typed,
    // then the contact is gone from the API.
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('link', { name: contactEmail }).click();
    await page.getByRole('heading', { name: contactEmail }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export as JSON' }).click()]);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
    check(exported.contact?.email === contactEmail && exported.events.length > 0, `the export downloads the contact's JSON (${download.suggestedFilename()})`);
    const erase = page.getByRole('button', { name: 'Erase contact' });
    check(await erase.isDisabled(), 'erase is disabled before the email is typed');
    await page.getByLabel(`Type ${contactEmail} to confirm`).fill(contactEmail);
    await audit(page, '07-contact-as-admin');
    await erase.click();
    await page.getByRole('heading', { name: 'Contacts', exact: true }).waitFor();
    const left = await page.evaluate(async (email) => {
      const key = Object.keys(localStorage).find((k) => k.endsWith('.idToken'));
      const res = await fetch(`/v1/contacts?email=${encodeURIComponent(email)}`, { headers: { Authorization: `Bearer ${localStorage.getItem(key)}` } });
      return (await res.json()).contacts?.length;
    }, contactEmail);
    check(left === 0, `an admin erases the contact after typing its email (found ${left} after)`);
    await context.close();
  }
});
