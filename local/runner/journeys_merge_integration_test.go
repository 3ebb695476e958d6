package runner_test

import (
	"encoding/json"
	"testing"

	"github.com/leadflow/leadflow/shared/contact"
)

// TestJourneyRunFollowsMergeEndToEnd: on the local stack, an anonymous
// visitor enters a journey from the browser and waits; before the wait
// ends the visitor identifies (the public write key, with the user hash
// the site's server signed) as a known, subscribed contact. The run moves
// to the known contact, and the next step's mail
// reaches the known contact exactly once (checked after the run is
// recorded completed on the known contact and the wheel ticked again).
// journeyMergeSecret is the test site's identity secret.
const journeyMergeSecret = "journey-merge-identity-secret-0123456789"

func TestJourneyRunFollowsMergeEndToEnd(t *testing.T) {
	e := journeyEnv(t)
	// The secret is set before any tracking call: ingest caches a site for a minute.
	code, sites := e.admin("/v1/sites")
	var site map[string]any
	list, _ := sites["sites"].([]any)
	for _, x := range list {
		if m, _ := x.(map[string]any); m["key"] == siteKey {
			site = m
		}
	}
	if code != 200 || site == nil {
		t.Fatalf("GET /v1/sites = %d %v: no %s", code, sites, siteKey)
	}
	put := map[string]any{"name": site["name"], "allowed_origins": site["allowed_origins"], "identity_secret": journeyMergeSecret}
	raw, _ := json.Marshal(put)
	if code, body := e.adminDo("PUT", "/v1/sites/"+siteKey, string(raw)); code != 200 || body["identity_verification"] != true {
		t.Fatalf("set identity secret: %d %v", code, body)
	}
	body := `{"id":"pricing-nudge","name":"Pricing nudge","status":"live","trigger":{"kind":"event","event":"Pricing Viewed"},"start":"w","steps":[
		{"id":"w","kind":"wait","wait":{"for":"1h"},"next":"m"},
		{"id":"m","kind":"email","email":{"template":"demo-nudge"}}]}`
	code, resp := e.adminDo("PUT", "/v1/journeys/pricing-nudge", body)
	if code != 200 && code != 201 {
		t.Fatalf("PUT journey = %d %v", code, resp)
	}
	v1, _ := resp["version"].(float64)
	email := e.addr("mia")
	known := e.subscribe(email, "Mia")

	e.track(`{"batch":[{"type":"track","messageId":"pv-1","anonymousId":"anon-mia","event":"Pricing Viewed"}]}`)
	visitor := contact.AnonymousContactID("anon-mia")
	e.linksWait("the visitor waiting at w", func() bool { _, ok := e.stepContacts("pricing-nudge", v1, "w")[visitor]; return ok })

	// Mia's site signs her email (README, "Identity verification"): a
	// verified identify, so her runs follow her. (With only the public key
	// they would end as merged instead: TestUnverifiedMergeTakesNoRunOver.)
	e.track(`{"batch":[{"type":"identify","messageId":"id-1","anonymousId":"anon-mia","traits":{"email":"` + email + `"},` +
		`"integrations":{"Leadflow":{"user_hash":"` + userHash(journeyMergeSecret, email) + `"}}}]}`)
	e.linksWait("the run listed at w under the known contact", func() bool {
		at := e.stepContacts("pricing-nudge", v1, "w")
		_, k := at[known]
		_, v := at[visitor]
		return k && !v
	})
	e.linksWait("the demo mail to the known contact", func() bool {
		e.tick()
		return countPrefix(subjects(mailsTo(t, email)), "Want us to set it up") >= 1
	})
	e.linksWait("the run recorded as completed on the known contact", func() bool {
		code, body := e.admin("/v1/contacts/" + known + "/journeys")
		if code != 200 {
			return false
		}
		for _, r := range body["runs"].([]any) {
			m := r.(map[string]any)
			if m["journey_id"] == "pricing-nudge" && m["status"] == "completed" {
				return true
			}
		}
		return false
	})
	e.tick()
	e.settle()
	if n := countPrefix(subjects(mailsTo(t, email)), "Want us to set it up"); n != 1 {
		t.Errorf("%d demo mails to the known contact, want exactly one", n)
	}
}
