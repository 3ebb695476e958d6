package runner_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
)

// TestConsoleMarketingEndToEnd drives the built console's marketing pages
// (issues 13, 14, 15) in Debian's Chromium (console/e2e/marketing.e2e.mjs):
// a list made and a CSV imported into it with column mapping, its progress
// and error report; members added to and removed from the list; a segment
// built with its live count, saved, its members listed and exported; a
// campaign created, edited, scheduled, approved by a second user with the
// approver role, on the calendar and sent, with its results; the welcome
// journey's map with counts on nodes and edges, a validator problem on its
// node and a simulated path; and a contact's segments, lists and journeys.
// Every page passes axe-core and is screenshotted in console/e2e-artifacts/.
func TestConsoleMarketingEndToEnd(t *testing.T) {
	t.Setenv(senderfn.EnvMaxSendRate, "50")
	e := newConsoleE2E(t)

	// Campaigns need approval here, and quiet hours never hold the mail
	// back whatever the hour the test runs.
	code, sending := e.admin("/v1/sending")
	if code != 200 {
		t.Fatalf("GET /v1/sending = %d", code)
	}
	delete(sending, "quiet_hours")
	sending["campaign_approval"] = true
	raw, _ := json.Marshal(sending)
	if code, body := e.adminDo("PUT", "/v1/sending", string(raw)); code != 200 {
		t.Fatalf("PUT /v1/sending = %d %v", code, body)
	}

	// The campaign's audience: three subscribed contacts on a list.
	if code, body := e.adminDo("PUT", "/v1/lists/e2e-launch", `{"name":"E2E launch"}`); code/100 != 2 {
		t.Fatalf("PUT /v1/lists/e2e-launch = %d %v", code, body)
	}
	const recipients = 3
	var ps []*contact.Profile
	for i := range recipients {
		// Not on the list yet: the API's add writes the member index (the
		// campaign's audience) only for a contact the list gains.
		ps = append(ps, e.subscribed(fmt.Sprintf("c_mkt_%d", i), fmt.Sprintf("mkt%d", i)))
	}
	e.seedContacts(ps...)
	// On the list through the API, as a marketer would put them there.
	ids, _ := json.Marshal(map[string]any{"contact_ids": []string{ps[0].ID, ps[1].ID, ps[2].ID}})
	if code, body := e.adminDo("POST", "/v1/lists/e2e-launch/members", string(ids)); code/100 != 2 {
		t.Fatalf("POST /v1/lists/e2e-launch/members = %d %v", code, body)
	}

	// A confirmed newsletter subscriber enters the welcome journey: its
	// welcome mail goes out and the run then waits two days, so the map
	// has counts on its nodes and edges.
	journeyEmail := e.addr("jules")
	code, body, _ := e.formsJSON("newsletter", `{"email":"`+journeyEmail+`","first_name":"Jules","consent":true}`, map[string]string{"Origin": "https://www.example.com"})
	if code != 200 || body["status"] != "pending" {
		t.Fatalf("form = %d %v", code, body)
	}
	var confirm string
	waitLong(t, "the confirmation mail", func() bool {
		for _, m := range mailsTo(t, journeyEmail) {
			if l := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.platform.PublicBaseURL()) + `/v1/confirm/[^"]+)"`).FindStringSubmatch(m.Body.HTML); l != nil {
				confirm = l[1]
				return true
			}
		}
		return false
	})
	if code, _, _ := e.linksFetch("POST", localPath(t, confirm), "", ""); code >= 400 {
		t.Fatalf("confirm = %d", code)
	}
	waitLong(t, "the welcome journey's run to wait", func() bool {
		code, steps := e.admin("/v1/journeys/welcome/steps")
		if code != 200 {
			return false
		}
		nodes, _ := steps["nodes"].([]any)
		for _, n := range nodes {
			if m, _ := n.(map[string]any); m["step"] != "" && num(m["waiting"]) > 0 {
				return true
			}
		}
		return false
	})

	e.run(t, "marketing.e2e.mjs", 6*time.Minute, append(e.users(t, map[string]catalog.Role{
		"MARKETER": catalog.RoleMarketer, "APPROVER": catalog.RoleApprover, "VIEWER": catalog.RoleViewer}),
		"JOURNEY_EMAIL="+journeyEmail, "CAMPAIGN_LIST=e2e-launch", "CAMPAIGN_RECIPIENTS="+strconv.Itoa(recipients),
		// Addresses of this platform's own, so the shared mail server's
		// other tests never count them.
		"IMPORT_DOMAIN="+strings.TrimSuffix(e.table, "-leadflow")+".example.com",
	)...)
}

// waitLong polls until ok; the bound (generous: this test runs beside
// every other on a loaded machine) only keeps a broken pipeline from
// hanging the test.
func waitLong(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
