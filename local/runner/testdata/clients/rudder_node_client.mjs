// Drives RudderStack's Node SDK, unmodified, against a Leadflow API (the
// second server library after Segment's analytics-node).
// browser_clients_integration_test.go runs it through a connection that
// drops the first request, and checks the contact.
//
// Env: LEADFLOW_API (base URL), LEADFLOW_WRITE_KEY, LEADFLOW_ANON, LEADFLOW_USER.
import Analytics from '@rudderstack/rudder-sdk-node';

const { LEADFLOW_API: dataPlaneUrl, LEADFLOW_WRITE_KEY: writeKey, LEADFLOW_ANON: anonymousId, LEADFLOW_USER: userId } = process.env;
if (!dataPlaneUrl || !writeKey || !anonymousId || !userId) {
  console.error('set LEADFLOW_API, LEADFLOW_WRITE_KEY, LEADFLOW_ANON and LEADFLOW_USER');
  process.exit(2);
}

const failures = [];
// The SDK's own retries (axios-retry, network errors and 5xx) stay on:
// they are what the dropped connection exercises.
const client = new Analytics(writeKey, {
  dataPlaneUrl, flushAt: 10, flushInterval: 200, retryCount: 3, logLevel: 'error',
  errorHandler: (err) => failures.push(String((err && err.message) || err)),
});

const url = 'https://shop.example/pricing?utm_source=podcast&utm_medium=audio&utm_campaign=spring';
client.page({ anonymousId, name: 'Pricing', properties: { url, path: '/pricing', title: 'Pricing' } });
client.track({ anonymousId, event: 'Plan Selected', properties: { plan: 'team', seats: 5 } });
client.identify({ anonymousId, userId, traits: { email: 'Grace@Example.com', first_name: 'Grace', plan: 'team' } });

await client.flush();
if (failures.length) {
  console.error('rudder-sdk-node reported: ' + failures.join('; '));
  process.exit(1);
}
console.log('rudder-sdk-node: flushed');
