package runner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// countEvents counts a contact's timeline events of one name.
func (e *env) countEvents(id, event string) int {
	e.t.Helper()
	_, c := e.admin("/v1/contacts/" + id)
	evs, _ := c["events"].([]any)
	n := 0
	for _, ev := range evs {
		if m, _ := ev.(map[string]any); m["event"] == event {
			n++
		}
	}
	return n
}

// waitEvents waits until the contact's timeline has n events of a name:
// the processor's pass that applied them (and ran the conversion reactor)
// is done.
func (e *env) waitEvents(id, event string, n int) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for e.countEvents(id, event) < n {
		if time.Now().After(deadline) {
			e.t.Fatalf("contact %s has %d %q events, want %d", id, e.countEvents(id, event), event, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A campaign's conversion on the local stack: the campaign sends, the
// recipient clicks its link (a person: a browser, after the prefetch
// window) through the links function, then the goal event comes through
// the ingest API from the recipient's browser. The results show one
// conversion with its revenue; a second goal event within the window is
// applied to the contact (the marker) and counts nothing more.
func TestCampaignConversionAfterAHumanClick(t *testing.T) {
	e := sendEnv(t, 50, 0)
	ctx := context.Background()
	suffix := strings.TrimSuffix(e.table, "-leadflow")
	p := e.subscribed("c_conv_"+strings.ReplaceAll(suffix, "-", "_"), "buyer")
	p.Lists = []string{"buyers"}
	e.seedContacts(p)
	st := dynamo.New(dynamodb.NewFromConfig(e.platform.AWS()), e.table)
	if _, err := st.SetMember(ctx, membership.Ref{Kind: membership.List, ID: "buyers"}, p.ID, true, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	// The recipient's browser is known: its anonymous id points at them
	// (as an identify on the website would have made it).
	anon := "buyer-" + suffix
	if _, err := st.LinkIdentity(ctx, contact.Identity{Kind: contact.AnonymousID, Value: anon}, p.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	id := "conv-" + suffix
	def := fmt.Sprintf(`{"id":%q,"name":"Spring sale","audience":{"lists":["buyers"]},"template":"welcome","topic":"newsletter",
		"goal":{"event":"Order Completed","window":"72h","revenue_property":"revenue"},"schedule":{"type":"now"}}`, id)
	if code, body := e.adminDo("PUT", "/v1/campaigns/"+id, def); code != 201 {
		t.Fatalf("PUT campaign = %d %v", code, body)
	}
	if code, body := e.adminDo("POST", "/v1/campaigns/"+id+"/schedule", ""); code != 200 {
		t.Fatalf("schedule = %d %v", code, body)
	}
	waitMails(e, id, 1, 60*time.Second)
	var link string
	for _, r := range e.platform.SESRequests() {
		if r.Accepted && r.Tags[mail.TagCampaign] == id {
			link = clickLink.FindString(r.HTML)
		}
	}
	if link == "" {
		t.Fatal("no click link in the campaign mail")
	}
	// A person reads the mail after the scanners' window, then clicks.
	time.Sleep(engagement.PrefetchWindow + time.Second)
	if code, _, _ := e.linksFetch("GET", link, "", ""); code != 302 {
		t.Fatalf("click = %d", code)
	}
	e.waitResults(id, campaign.CountClicksHuman, 1)
	// The click's event is applied: the contact's campaign touch is set.
	e.waitEvents(p.ID, engagement.EventClicked, 1)
	goal := func(n int, revenue string) {
		e.track(fmt.Sprintf(`{"batch":[{"type":"track","messageId":"goal-%d-%s","anonymousId":%q,"event":"Order Completed",
			"timestamp":%q,"properties":{"revenue":%s,"order_id":"o-%d"}}]}`, n, suffix, anon, time.Now().UTC().Format(time.RFC3339Nano), revenue, n))
	}
	goal(1, "49.99")
	res := e.waitResults(id, campaign.CountConversions, 1)
	if tot := res["totals"].(map[string]any); num(tot[campaign.CountRevenueCents]) != 4999 {
		t.Errorf("revenue %v cents, want 4999: %v", tot[campaign.CountRevenueCents], tot)
	}
	// A second order within the window: applied to the contact, not
	// counted again.
	goal(2, "20")
	e.waitEvents(p.ID, "Order Completed", 2)
	_, res = e.admin("/v1/campaigns/" + id + "/results")
	tot := res["totals"].(map[string]any)
	if num(tot[campaign.CountConversions]) != 1 || num(tot[campaign.CountRevenueCents]) != 4999 {
		t.Errorf("after a second goal event: conversions %v, revenue %v cents; want 1 and 4999", tot[campaign.CountConversions], tot[campaign.CountRevenueCents])
	}
}
