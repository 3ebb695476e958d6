package runner_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/mail"
)

// TestConsoleEndToEnd drives the built console (console/dist, `make
// console`) in Debian's Chromium against this platform: console/e2e/
// console.e2e.mjs signs in per role, finds the contact sent here through
// the tracking API, reads its score explanation, changes its stage as a
// marketer, is refused as a viewer in the UI and at the API, invites a
// user, exports and then erases the contact as an admin, runs axe-core on
// every page and saves screenshots in console/e2e-artifacts/.
func TestConsoleEndToEnd(t *testing.T) {
	e := newConsoleE2E(t)
	contactEmail := fmt.Sprintf("e2e-%d@acme.test", time.Now().UnixNano())
	e.track(`{"batch":[
	 {"type":"page","messageId":"e2e-p1","anonymousId":"e2e-visitor","context":{"page":{"url":"https://acme.test/pricing","path":"/pricing","title":"Pricing"}}},
	 {"type":"identify","messageId":"e2e-i1","anonymousId":"e2e-visitor","traits":{"email":"` + contactEmail + `","title":"Head of Growth","plan":"enterprise"}}]}`)
	c := e.waitContact("e2e-visitor", 2)
	// A send to the contact for the contact page's messages: without
	// consent the pipeline records it as skipped, which the page lists.
	if code, body := e.postMessage(`{"contact_id":"` + c["id"].(string) + `","template_id":"welcome","idempotency_key":"e2e-welcome"}`); code != 202 {
		t.Fatalf("POST /v1/messages = %d %v", code, body)
	}
	e.waitSend(mail.APISendID("e2e-welcome"), inState(mail.Skipped, mail.Sent, mail.Delivered))

	creds := e.users(t, map[string]catalog.Role{"MARKETER": catalog.RoleMarketer, "VIEWER": catalog.RoleViewer, "ADMIN": catalog.RoleAdmin})
	e.run(t, "console.e2e.mjs", 3*time.Minute, append(creds,
		"CONTACT_EMAIL="+contactEmail,
		// The dashboard's totals for the last 30 days: the one contact
		// and its two events sent above.
		"OVERVIEW_EXPECT=new contacts=1,identified leads=1,events=2",
	)...)
}
