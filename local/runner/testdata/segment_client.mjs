// Drives Segment's own Node library, unmodified, against a Leadflow API:
// the proof that a site instrumented with a Segment-spec client only has to
// change the host. browser_integration_test.go runs it and checks the contact.
//
// Env: LEADFLOW_API (base URL), LEADFLOW_WRITE_KEY, LEADFLOW_ANON, LEADFLOW_USER.
import { Analytics } from '@segment/analytics-node';

const { LEADFLOW_API: host, LEADFLOW_WRITE_KEY: writeKey, LEADFLOW_ANON: anonymousId, LEADFLOW_USER: userId } = process.env;
if (!host || !writeKey || !anonymousId || !userId) {
  console.error('set LEADFLOW_API, LEADFLOW_WRITE_KEY, LEADFLOW_ANON and LEADFLOW_USER');
  process.exit(2);
}

// Retries would hide a refused batch behind a slow success; the test wants
// the first answer.
const analytics = new Analytics({ writeKey, host, maxRetries: 0, flushAt: 10, flushInterval: 200 });
const failures = [];
const statuses = [];
analytics.on('error', (err) => failures.push(String((err && (err.reason || err.message)) || err)));
analytics.on('http_request', (req) => statuses.push(req.url));

const url = 'https://shop.example/pricing?utm_source=podcast&utm_medium=audio&utm_campaign=spring';
analytics.page({
  anonymousId, name: 'Pricing',
  properties: { url, path: '/pricing', title: 'Pricing', referrer: 'https://podcast.example/ep1' },

});
analytics.track({ anonymousId, event: 'Plan Selected', properties: { plan: 'team', seats: 5 } });
analytics.identify({ anonymousId, userId, traits: { email: 'Grace@Example.com', first_name: 'Grace', plan: 'team' } });

await analytics.closeAndFlush({ timeout: 20000 });
if (failures.length) {
  console.error('analytics-node reported: ' + failures.join('; '));
  process.exit(1);
}
console.log(JSON.stringify({ requests: statuses }));
