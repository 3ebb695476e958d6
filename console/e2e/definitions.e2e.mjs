// End-to-end test of the definition pages (TestConsoleDefinitionsEndToEnd
// in local/runner runs it against the real local stack; environment as in
// helpers.mjs): the template editor marks a problem at its line while
// typing and previews the draft; every definition page passes axe and is
// screenshotted; a scoring change shows the re-score's progress; a 412 is
// explained; viewers and (for sending settings) marketers only read.
import { cred, start } from './helpers.mjs';

const { check, audit, signIn, apiFrom, finish } = await start();
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

await finish(async () => {
  // --- marketer
  {
    const { context, page } = await signIn(cred('MARKETER'));

    await nav(page, 'Definitions');
    await page.getByRole('heading', { name: 'Definitions', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Scoring model' }).waitFor();
    check(await page.getByText('Everything in effect is the repo’s version.').isVisible(), 'the overview says nothing drifts from the repo yet');
    await audit(page, 'def-01-overview');

    // Template: a problem appears at its line while typing, without saving.
    await nav(page, 'Templates');
    await page.getByRole('link', { name: 'Newsletter welcome' }).click();
    await page.getByRole('heading', { name: 'Newsletter welcome' }).waitFor();
    await page.getByTestId('preview-subject').waitFor();
    const html = page.getByLabel('HTML', { exact: true });
    const good = await html.inputValue();
    await html.fill('<p>Hello</p>\n<p>{{ contact.nope }}</p>\n' + good);
    const problem = page.locator('#tpl-html-problems li').first();
    await problem.waitFor();
    const problemText = await problem.innerText();
    check(/^html, line 2, column 7: unknown field contact\.nope/.test(problemText), `while typing, the problem is shown at its line and column (${problemText})`);
    check((await page.locator('#tpl-html ~ *').count()) >= 0 && (await page.locator('.gutter [data-line="2"][data-problem="true"]').count()) === 1, 'the HTML gutter marks line 2');
    check(await page.getByText(/problem.? to fix before saving/).isVisible(), 'the save bar says there are problems to fix');
    await audit(page, 'def-02-template-problem');

    // Fix it and change the subject: the preview renders the draft.
    await html.fill(good);
    await page.getByLabel('Subject', { exact: true }).fill('E2E draft subject {{ contact.email }}');
    await page.getByText('Valid: ready to save.').waitFor();
    await page.getByTestId('preview-subject').filter({ hasText: 'E2E draft subject' }).waitFor();
    check(true, 'the live preview renders the unsaved draft');
    await page.getByLabel('Contact id (empty: the sample contact)').fill('no-such-contact');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByText('no contact no-such-contact').waitFor();
    check(true, 'a preview for an unknown contact shows the API’s message');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await audit(page, 'def-03-template');

    // Forms: the list, then one form in the editor.
    await nav(page, 'Forms');
    await page.getByRole('heading', { name: 'Forms', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Newsletter sign-up' }).waitFor();
    await audit(page, 'def-04-forms');
    await page.getByRole('link', { name: 'Newsletter sign-up' }).click();
    await page.getByLabel('Form (JSON)', { exact: true }).waitFor();
    check(await page.getByText(/double opt-in|a confirmation email is sent first/i).first().isVisible(), 'the form page summarises the form');
    await audit(page, 'def-05-form');

    // Topics: a JSON error at its line; then a 412 when someone else saved first.
    await nav(page, 'Topics');
    const topics = page.getByLabel('Topic list (JSON)', { exact: true });
    await topics.waitFor();
    const original = await topics.inputValue();
    await topics.fill(original.replace('"topics": [', '"topics": [\n    {"id": "x" "name": "Broken"},'));
    const jsonProblem = page.locator('#topics-default-json-problems li').first();
    await jsonProblem.waitFor();
    const jsonText = await jsonProblem.innerText();
    check(/^Line 3, column 16: not valid JSON/.test(jsonText), `a JSON mistake is shown at its line (${jsonText})`);
    await audit(page, 'def-06-topics-problem');

    const current = await apiFrom(page, 'GET', '/v1/definitions/topics/default');
    const theirs = structuredClone(current.body.definition);
    theirs.topics[0].name = 'Renamed by someone else';
    const put = await apiFrom(page, 'PUT', '/v1/definitions/topics/default', theirs, { 'If-Match': current.body.etag });
    check(put.status === 200, `someone else saves the topics first (${put.status})`);
    await topics.fill(original.replace('"Newsletter"', '"Newsletter (mine)"'));
    await page.getByText('Valid: ready to save.').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/someone else saved this topic list after you opened it/).waitFor();
    await page.getByRole('button', { name: /Discard mine, load version/ }).waitFor();
    check((await topics.inputValue()).includes('Newsletter (mine)'), 'on a 412 the edit stays in the editor');
    await audit(page, 'def-07-topics-conflict');
    await page.getByRole('button', { name: /Save mine over version/ }).click();
    await page.getByText(/^Saved as version \d+\.$/).waitFor();
    check(true, 'after a 412 the marketer saves over the newer version');
    await page.getByRole('button', { name: 'View version 1' }).click();
    await page.getByText('From version 1 to what is in effect now').waitFor();
    check(await page.locator('.diff-del', { hasText: 'Renamed by someone else' }).count() > 0, 'the history shows what changed since version 1');
    await page.getByRole('button', { name: 'Restore the repo version' }).click();
    await page.getByRole('button', { name: 'Yes, restore the repo version' }).click();
    await page.getByText('The repo version is in effect again.').waitFor();
    check((await topics.inputValue()) === original, 'restoring the repo version puts it back in the editor');

    // Interests.
    await nav(page, 'Interests');
    await page.getByLabel('Interest rules (JSON)', { exact: true }).waitFor();
    await audit(page, 'def-08-interests');

    // Scoring: the re-score notice, then a change and its progress.
    await nav(page, 'Scoring model');
    const model = page.getByLabel('Scoring model (JSON)', { exact: true });
    await model.waitFor();
    await page.getByText(/Saving a change to the rules re-scores \d+ identified contacts?/).waitFor();
    check(true, 'the scoring page says how many contacts a change re-scores');
    await audit(page, 'def-09-scoring');
    const text = await model.inputValue();
    await model.fill(text.replace(/"half_life_days": (\d+)/, (_, n) => `"half_life_days": ${Number(n) + 1}`));
    await page.getByText('Valid: ready to save.').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/^Saved as version \d+\.$/).waitFor();
    await page.getByText('Re-score finished').waitFor({ timeout: 60_000 });
    check(true, 'the scoring page shows the re-score running to the end');
    await audit(page, 'def-10-scoring-rescored');

    // Sending settings: a marketer reads only.
    await nav(page, 'Sending settings');
    await page.getByLabel('Sending settings (JSON)', { exact: true }).waitFor();
    check(await page.getByText('Read only: changing the sending settings needs the admin role.').isVisible(), 'a marketer only reads the sending settings');
    const refused = await apiFrom(page, 'PUT', '/v1/definitions/sending/default', {});
    check(refused.status === 403 && refused.body.error?.code === 'forbidden', `the API refuses a marketer's sending change (${refused.status})`);
    await audit(page, 'def-11-sending');
    await context.close();
  }

  // --- viewer: reads, never edits.
  {
    const { context, page } = await signIn(cred('VIEWER'));
    await nav(page, 'Topics');
    const topics = page.getByLabel('Topic list (JSON)', { exact: true });
    await topics.waitFor();
    check(await topics.evaluate((el) => el.readOnly), 'a viewer’s editor is read-only');
    check(!(await page.getByRole('button', { name: 'Save', exact: true }).isVisible()), 'a viewer has no Save button');
    await audit(page, 'def-12-topics-as-viewer');
    await context.close();
  }

  // --- admin: edits the sending settings.
  {
    const { context, page } = await signIn(cred('ADMIN'));
    await nav(page, 'Sending settings');
    const sending = page.getByLabel('Sending settings (JSON)', { exact: true });
    await sending.waitFor();
    check(!(await sending.evaluate((el) => el.readOnly)), 'an admin may edit the sending settings');
    await audit(page, 'def-13-sending-as-admin');
    await context.close();
  }
});
