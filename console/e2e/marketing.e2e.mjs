// End-to-end test of the marketing pages (issues 13, 14, 15) against the
// real local stack; TestConsoleMarketingEndToEnd in local/runner starts it,
// seeds the campaign's audience and a contact inside the welcome journey,
// and runs this with the environment of helpers.mjs plus:
//   MARKETER, APPROVER, VIEWER   "email:password" of a user of each role
//   JOURNEY_EMAIL        a confirmed subscriber waiting in the welcome journey
//   CAMPAIGN_LIST        the list of the campaign's audience (seeded)
//   CAMPAIGN_RECIPIENTS  how many contacts are on it
//   IMPORT_DOMAIN        the domain of the imported addresses
// Every state is polled for (the machine may be loaded), never slept on.
import { readFileSync } from 'node:fs';
import { cred, env, start } from './helpers.mjs';

const { base, check, audit, signIn, apiFrom, poll, finish } = await start();
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
const journeyEmail = env('JOURNEY_EMAIL');
const campaignList = env('CAMPAIGN_LIST');
const recipients = Number(env('CAMPAIGN_RECIPIENTS'));
const domain = env('IMPORT_DOMAIN');
const addr = (local) => `${local}@${domain}`;
const listId = 'e2e-imported';
const segmentId = 'e2e-de-or-list';
const campaignId = 'e2e-launch-news';

/** The text of the dd after the dt named label inside scope. */
const fact = (scope, label) => scope.locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]').innerText();

await finish(async () => {
  const { context, page } = await signIn(cred('MARKETER'));

  // --- Lists: create the list the import fills.
  await nav(page, 'Lists');
  await page.getByRole('heading', { name: 'Lists', level: 1 }).waitFor();
  const newList = page.getByRole('form', { name: 'New list' });
  await newList.getByLabel('Id', { exact: true }).fill(listId);
  await newList.getByLabel('Name', { exact: true }).fill('E2E imported');
  await newList.getByRole('button', { name: 'Create list' }).click();
  // The form clears once the API saved the list; the list of lists may read
  // it a moment later (under load): reload until it is there.
  await poll('the list to be saved', async () => (await newList.getByLabel('Id', { exact: true }).inputValue()) === '');
  await poll('the new list in the table', async () => {
    if (await page.getByRole('button', { name: 'E2E imported' }).isVisible()) return true;
    await page.reload();
    await page.getByRole('heading', { name: 'Lists', level: 1 }).waitFor();
    return false;
  }, 60_000, 1000);
  check(true, 'a marketer creates a list');

  // --- Import: a CSV with good, bad and duplicate rows, columns mapped.
  await nav(page, 'Imports');
  const form = page.getByRole('form', { name: 'New import' });
  const csv = ['Email,Country,Plan', `${addr('ada')},DE,pro`, `${addr('bea')},DE,free`, 'not-an-email,DE,pro', `${addr('cy')},US,pro`, ` ${addr('ADA')},AT,pro`].join('\n') + '\n';
  await form.getByLabel('File').setInputFiles({ name: 'e2e-contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  check((await form.getByLabel('Email column').inputValue()) === 'Email', 'the email column is guessed from the header row');
  await form.getByLabel('Trait for “Country”').fill('country');
  await form.getByLabel('Trait for “Plan”').fill('plan');
  await form.getByLabel('Add to list').selectOption(listId);
  await form.getByLabel('Evidence (where and when consent was collected)').fill('E2E trade fair sign-up sheet');
  await audit(page, 'mkt-01-import-mapping');
  await form.getByRole('button', { name: 'Start import' }).click();
  await form.getByText(/^Import \S+ started\.$/).waitFor();
  const row = page.locator('tbody tr', { hasText: 'e2e-contacts.csv' });
  // The table polls while the import runs: its row turns done.
  await row.locator('.badge', { hasText: /^done$/ }).waitFor({ timeout: 60_000 });
  const cells = await row.locator('td').allInnerTexts();
  check(cells[2].trim() === '100%' && cells[3] === '5' && cells[4] === '3' && cells[5].startsWith('2'), `the import shows its progress and counts: 5 rows, 3 imported, 2 failed (${cells.join(' | ')})`);
  const [report] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Error report' }).click()]);
  const reportText = readFileSync(await report.path(), 'utf8');
  check(/^line,email,reason/m.test(reportText) && /^4,not-an-email,/m.test(reportText) && /^6,ada@.*duplicate of line 2/m.test(reportText), `the error report gives each bad row's line and reason (${reportText.trim().replace(/\n/g, ' / ')})`);
  await audit(page, 'mkt-02-imports');

  // --- Lists: the import filled the list; add and remove members by email.
  await nav(page, 'Lists');
  await page.getByRole('button', { name: 'E2E imported' }).click();
  const members = page.getByRole('region', { name: `Members of ${listId}` });
  for (const who of ['ada', 'bea', 'cy']) await members.getByRole('link', { name: addr(who) }).waitFor();
  check(true, 'the list shows the three imported contacts');
  const change = members.getByRole('form', { name: 'Change members' });
  await change.getByLabel('Emails (one per line or comma-separated)').fill(journeyEmail);
  await change.getByRole('button', { name: 'Add' }).click();
  await change.getByRole('status').filter({ hasText: '1 added' }).waitFor();
  await members.getByRole('link', { name: journeyEmail }).waitFor();
  await change.getByLabel('Emails (one per line or comma-separated)').fill(addr('cy'));
  await change.getByRole('button', { name: 'Remove' }).click();
  await change.getByRole('status').filter({ hasText: '1 removed' }).waitFor();
  await members.getByRole('link', { name: addr('cy') }).waitFor({ state: 'detached' });
  // The count is a sharded counter the processor adds to: reload until it says 3.
  const listRow = page.locator('tbody tr', { has: page.getByRole('button', { name: 'E2E imported' }) });
  await poll('the list count to be 3', async () => {
    if ((await listRow.locator('td').nth(1).innerText()) === '3') return true;
    await page.reload();
    await listRow.waitFor();
    return false;
  }, 60_000, 1000);
  check(true, 'a marketer adds a contact to the list and removes one, and the count follows');
  await audit(page, 'mkt-03-list');

  // --- Segment builder: the live count follows the filter while editing.
  await nav(page, 'Segments');
  await page.getByRole('link', { name: 'New segment' }).click();
  const def = page.getByRole('form', { name: 'Segment definition' });
  await def.getByLabel('Id', { exact: true }).fill(segmentId);
  await def.getByLabel('Name', { exact: true }).fill('Germany or imported');
  // The filter is the form's one textarea (its label's name takes in the text).
  const filter = def.locator('textarea');
  const previewCount = page.getByLabel('Preview count');
  const countIs = (n) => poll(`the live count to show ${n}`, async () => (await previewCount.isVisible()) && (await previewCount.innerText()) === String(n));
  await filter.fill(JSON.stringify({ trait: { key: 'country', op: 'equals', value: 'DE' } }, null, 2));
  await countIs(2);
  check(true, 'the live count shows the 2 imported contacts in Germany');
  await filter.fill('{"any": [');
  await def.getByRole('alert').filter({ hasText: 'Not JSON' }).waitFor();
  check(await def.getByRole('button', { name: 'Save' }).isDisabled(), 'a filter that is not JSON is marked and cannot be saved');
  await filter.fill(JSON.stringify({ any: [{ trait: { key: 'country', op: 'equals', value: 'DE' } }, { list: listId }] }, null, 2));
  await countIs(3);
  check(true, 'editing the filter updates the live count (Germany or on the list: 3)');
  await audit(page, 'mkt-04-segment-builder');
  await def.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Germany or imported', level: 1 }).waitFor();
  const memberCount = page.getByLabel('Member count');
  await poll('the saved segment to be ready with 3 members', async () => {
    if ((await page.getByLabel('State').innerText()) !== 'ready') return false;
    return (await memberCount.innerText()) === '3';
  });
  const segMembers = page.getByRole('region', { name: 'Members', exact: true });
  for (const who of [addr('ada'), addr('bea'), journeyEmail]) await segMembers.getByRole('link', { name: who }).waitFor();
  check(!(await segMembers.getByRole('link', { name: addr('cy') }).isVisible()), 'the member list shows the 3 members, not the one removed from the list');
  await audit(page, 'mkt-05-segment');

  // --- Export: the segment as CSV, with its download link.
  const exp = page.getByRole('region', { name: 'Export' });
  await exp.getByLabel('CSV columns').fill('email, status');
  await exp.getByRole('button', { name: 'Export CSV' }).click();
  await exp.getByRole('status').filter({ hasText: /^3 rows/ }).waitFor({ timeout: 60_000 });
  const [file] = await Promise.all([page.waitForEvent('download'), exp.getByRole('link', { name: 'Download' }).click()]);
  const exported = readFileSync(await file.path(), 'utf8').trim().split('\n');
  check(exported[0] === 'email,status' && exported.length === 4 && [addr('ada'), addr('bea'), journeyEmail].every((e) => exported.some((l) => l.startsWith(e + ','))),
    `the export downloads the segment's members with the chosen columns (${exported.join(' / ')})`);
  await audit(page, 'mkt-06-export');

  // --- A contact's segments, lists and journeys on their page.
  await segMembers.getByRole('link', { name: journeyEmail }).click();
  await page.getByRole('heading', { name: journeyEmail }).waitFor();
  await poll('the contact page to list the segment', async () => {
    await page.reload();
    await page.getByLabel('Segments', { exact: true }).waitFor();
    return (await page.getByLabel('Segments', { exact: true }).innerText()).includes(segmentId);
  }, 60_000, 1000);
  check((await page.getByLabel('Lists', { exact: true }).innerText()).includes(listId), 'the contact page lists the contact\'s lists');
  const run = page.locator('section[aria-labelledby="journeys-h"] tbody tr', { hasText: 'welcome' });
  await run.waitFor();
  const runText = await run.innerText();
  check(/active/.test(runText) && /wait-2d/.test(runText), `the contact page shows the journey run waiting at its step (${runText.replace(/\s+/g, ' ')})`);
  await audit(page, 'mkt-07-contact');
  const contactPage = page.url();

  // --- Campaign: create a draft, edit its schedule, ask for approval.
  await nav(page, 'Campaigns');
  const create = page.getByRole('form', { name: 'New campaign' });
  await create.getByLabel('Id', { exact: true }).fill(campaignId);
  await create.getByLabel('Name', { exact: true }).fill('E2E launch news');
  // A select's name takes in its chosen option's text: match the start.
  await create.getByLabel(/^Template/).selectOption('welcome');
  await create.getByLabel(/^Audience/).selectOption(`list:${campaignList}`);
  await create.getByLabel(/^Topic/).fill('newsletter');
  await audit(page, 'mkt-08-campaigns');
  await create.getByRole('button', { name: 'Create draft' }).click();
  await page.getByRole('heading', { name: 'E2E launch news', level: 1 }).waitFor();
  const json = page.getByLabel('Campaign (JSON)');
  await poll('the editor to load the draft', async () => (await json.inputValue()).includes(campaignId));
  const d = JSON.parse(await json.inputValue());
  // A minute and a half ahead: time for the approver to sign in and approve.
  const at = new Date(Date.now() + 90_000).toISOString().slice(0, 19);
  d.schedule = { type: 'at', at, zone: 'UTC' };
  await json.fill(JSON.stringify(d, null, 2));
  const editor = page.locator('section', { has: page.getByLabel('Campaign (JSON)') });
  await editor.getByText('Valid: ready to save.').waitFor();
  await editor.getByRole('button', { name: 'Save', exact: true }).click();
  await editor.getByText(/^Saved as version \d+\./).waitFor();
  const state = page.locator('section[aria-labelledby="campaign-state-h"]');
  await state.getByText(`${at.replace('T', ' ')} (UTC)`).waitFor();
  check(true, 'a marketer edits the draft\'s schedule in the editor');
  const actions = state.getByRole('group', { name: 'Campaign actions' });
  await actions.getByRole('button', { name: 'Schedule' }).click();
  await state.getByText('Done: the campaign is now Awaiting approval.').waitFor();
  check(!(await actions.getByRole('button', { name: 'Approve' }).isVisible()), 'a marketer is not offered to approve');
  await audit(page, 'mkt-09-campaign-awaiting');

  // --- The approver, a second user, approves it.
  {
    const a = await signIn(cred('APPROVER'));
    await a.page.goto(page.url());
    const st = a.page.locator('section[aria-labelledby="campaign-state-h"]');
    await st.getByText('Awaiting approval').first().waitFor();
    await st.getByRole('group', { name: 'Campaign actions' }).getByRole('button', { name: 'Approve' }).click();
    await st.getByText('Done: the campaign is now Scheduled.').waitFor();
    // The page reads the campaign again after the move: its approval shows.
    const approved = await poll('the approval to show', async () => (await st.locator('dt', { hasText: /^Approved$/ }).count()) > 0 && fact(st, 'Approved'));
    check(approved.includes(cred('APPROVER').email), `the campaign shows who approved it (${approved})`);
    await audit(a.page, 'mkt-10-campaign-approved');
    await a.context.close();
  }

  // --- Calendar: the approved campaign's send today, in today's cell of the
  // month grid and again in the week view (both UTC days).
  await nav(page, 'Calendar');
  const today = new Date().toISOString().slice(0, 10);
  const sendToday = async (view) => {
    const cell = page.locator('table.calendar td', { has: page.locator(`.calendar-date time[datetime="${today}"]`) });
    const entry = cell.locator('li', { has: page.getByRole('link', { name: 'E2E launch news' }) });
    await entry.waitFor();
    const text = await entry.innerText();
    check(
      (await entry.locator('time').getAttribute('datetime')).startsWith(today) && /Scheduled|Sending|Sent/.test(text) && (await cell.getAttribute('aria-current')) === 'date',
      `the calendar's ${view} shows the planned send today (${text.replace(/\s+/g, ' ')})`,
    );
  };
  const views = page.getByRole('group', { name: 'View' });
  check((await views.getByRole('button', { name: 'Month' }).getAttribute('aria-pressed')) === 'true', 'the calendar opens on the month');
  await sendToday('month');
  await audit(page, 'mkt-11-calendar');
  await views.getByRole('button', { name: 'Week' }).click();
  await page.getByRole('table', { name: /^Week of/ }).waitFor();
  const weekUrl = new URL(page.url()).searchParams;
  check(weekUrl.get('view') === 'week' && weekUrl.get('date') === today, `the week view is in the URL (${weekUrl})`);
  check((await page.locator('table.calendar td').count()) === 7, 'the week view shows 7 days');
  await sendToday('week');
  await audit(page, 'mkt-11b-calendar-week');
  // The welcome journey's run waits two days: the day its wait ends shows
  // the journey's planned volume (that day is two days from the run's
  // start, a few minutes ago: today + 2, or + 1 when midnight passed since).
  {
    let shown = '';
    for (const days of [2, 1]) {
      const d = new Date(Date.now() + days * 86400_000).toISOString().slice(0, 10);
      await page.goto(new URL(`calendar?view=week&date=${d}`, page.url().replace(/calendar.*$/, '')).toString());
      const cell = page.locator('table.calendar td', { has: page.locator(`.calendar-date time[datetime="${d}"]`) });
      const item = cell.locator('li.calendar-journey', { has: page.getByRole('link', { name: 'Newsletter welcome' }) });
      try {
        await item.waitFor({ timeout: 15_000 });
        shown = (await item.innerText()).replace(/\s+/g, ' ');
        break;
      } catch {
        // not on this day: the other candidate
      }
    }
    check(/Newsletter welcome: up to [1-9]\d* emails? \([1-9]\d* runs? moves? on\)/.test(shown), `the calendar shows the journey's planned volume on the day its wait ends (${shown})`);
    await audit(page, 'mkt-11c-calendar-journey');
  }

  // --- Journeys: the map with counts, a problem on its node, a simulated path.
  await nav(page, 'Journeys');
  await page.getByRole('link', { name: 'Newsletter welcome' }).click();
  const map = page.getByRole('figure', { name: 'Journey map' });
  await map.locator('.react-flow__node').nth(3).waitFor();
  check((await map.locator('.react-flow__node').count()) === 9, 'the map draws the trigger and the 8 steps');
  const welcomeCounts = map.getByLabel('Counts for welcome-mail');
  await welcomeCounts.waitFor();
  const wc = await welcomeCounts.innerText();
  check(/^1 in · 0 waiting · 1 on/.test(wc), `the welcome mail's node counts the run that passed it (${wc})`);
  const waitCounts = await map.getByLabel('Counts for wait-2d').innerText();
  check(/^1 in · 1 waiting · 0 on/.test(waitCounts), `the wait's node counts the run waiting there (${waitCounts})`);
  const edgeLabels = await map.locator('.react-flow__edge-text').allTextContents();
  check(edgeLabels.filter((t) => t === '1 went').length >= 2 && edgeLabels.includes('0 went'), `edges carry how many went along them (${edgeLabels.join(', ')})`);
  await audit(page, 'mkt-12-journey');

  // Drill down from the wait's node to the contacts resting there.
  await map.getByRole('link', { name: 'contacts here: wait-2d' }).click();
  await page.getByRole('heading', { name: 'Contacts at wait-2d' }).waitFor();
  const atStep = page.getByRole('table', { name: 'Contacts at wait-2d' });
  await atStep.getByRole('link', { name: journeyEmail }).waitFor();
  const stepRow = (await atStep.locator('tbody tr', { hasText: journeyEmail }).innerText()).replace(/\s+/g, ' ');
  check((await atStep.locator('tbody tr').count()) === 1 && /until/.test(stepRow), `the drill-down lists the contact waiting at the step, and until when (${stepRow})`);
  await audit(page, 'mkt-12b-journey-step');
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'welcome' }).click();
  await map.locator('.react-flow__node').nth(3).waitFor();

  const jj = page.getByLabel('Journey (JSON)');
  const original = await jj.inputValue();
  await jj.fill(original.replace('"template": "welcome-tips"', '"template": "no-such-template"'));
  const problems = map.getByLabel('Problems in tips-mail');
  await problems.waitFor();
  const problemText = await problems.innerText();
  check(/no-such-template/.test(problemText), `the validator's problem shows on its node (${problemText})`);
  check((await map.getByTestId('node-tips-mail').getAttribute('class')).includes('jmap-problem'), 'the node with the problem is marked');
  await audit(page, 'mkt-13-journey-problem');
  await page.getByRole('button', { name: 'Discard changes' }).click();
  await problems.waitFor({ state: 'detached' });

  await page.getByRole('form', { name: 'Simulate' }).getByRole('button', { name: 'Simulate' }).click();
  await page.getByRole('list', { name: 'Simulated path' }).waitFor();
  await map.locator('[data-testid="node-welcome-mail"][data-visited="true"]').waitFor();
  const visited = await map.locator('[data-visited="true"]').count();
  const hotEdges = await map.locator('.jmap-edge-visited').count();
  check(visited >= 3 && hotEdges >= 2, `the simulated path is drawn on the map (${visited} nodes, ${hotEdges} edges)`);
  await audit(page, 'mkt-14-journey-simulated');

  // --- Campaign results: the send went out to every recipient.
  await nav(page, 'Campaigns');
  await page.getByRole('link', { name: 'E2E launch news' }).click();
  const totals = page.getByLabel('Totals');
  await poll(
    `the results to count ${recipients} sent`,
    async () => {
      await page.reload();
      await page.locator('section[aria-labelledby="campaign-results-h"]').waitFor();
      return (await totals.isVisible()) && (await fact(totals, 'Sent')) === String(recipients);
    },
    150_000,
    2000,
  );
  check((await fact(totals, 'Recipients')) === String(recipients), `the results count ${recipients} recipients and ${recipients} sent`);
  await page.getByRole('figure', { name: 'Results by send day' }).locator('canvas').first().waitFor();
  check(true, 'the results are charted by send day');
  await audit(page, 'mkt-15-campaign-results');

  // --- Stop the contact's welcome run from their page (after the checks
  // above that count it): it ends at once and is listed as stopped.
  await page.goto(contactPage);
  const welcomeRun = page.locator('section[aria-labelledby="journeys-h"] tbody tr', { hasText: 'welcome' });
  await welcomeRun.waitFor();
  page.once('dialog', (d) => d.accept());
  await welcomeRun.getByRole('button', { name: 'Stop welcome run' }).click();
  await poll('the run to be listed as stopped', async () => /stopped/.test(await welcomeRun.innerText()), 30_000, 500);
  check((await welcomeRun.getByRole('button', { name: 'Stop welcome run' }).count()) === 0, 'a stopped run offers no stop button');
  await audit(page, 'mkt-16-journey-stopped');
  await context.close();

  // --- A viewer reads the segment but may change nothing.
  {
    const v = await signIn(cred('VIEWER'));
    await v.page.goto(`${base}segments/${segmentId}`);
    await v.page.getByText('Viewers cannot change segments.').waitFor();
    check(await v.page.getByRole('form', { name: 'Segment definition' }).locator('textarea').isDisabled(), 'a viewer sees the segment read-only');
    const refused = await apiFrom(v.page, 'POST', `/v1/lists/${listId}/members`, { emails: [addr('cy')] });
    check(refused.status === 403, `the API refuses a viewer's list change (${refused.status})`);
    await v.context.close();
  }
});
