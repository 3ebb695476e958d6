package runner_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/token"
)

// TestReportsCountWhatWasSent posts events through the tracking API, email
// events through the links and the SES event bus, moves a stage by hand,
// and reads the overview and the funnel back with exact numbers. Both
// come from the counters the functions keep as they go.
func TestReportsCountWhatWasSent(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	today, yesterday := now.Format("2006-01-02"), now.AddDate(0, 0, -1).Format("2006-01-02")
	ts := func(at time.Time) string { return at.Format(time.RFC3339) }
	noonYesterday := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	// ago is a moment d before now, but never before today's midnight: run
	// in the first minutes of a day, "two minutes ago" would count on
	// yesterday (CI once started it at 00:01).
	midnight := now.Truncate(24 * time.Hour)
	ago := func(d time.Duration) time.Time {
		if t := now.Add(-d); t.After(midnight) {
			return t
		}
		return midnight
	}

	// A: two page views (one stamped yesterday), then identifies: a new,
	// identified contact with no stage.
	e.track(`{"batch":[
	 {"type":"page","messageId":"rp-a1","anonymousId":"rpt-a","timestamp":"` + ts(noonYesterday) + `","context":{"page":{"url":"https://x.test/about","path":"/about"}}},
	 {"type":"page","messageId":"rp-a2","anonymousId":"rpt-a","timestamp":"` + ts(ago(2*time.Minute)) + `","context":{"page":{"url":"https://x.test/about","path":"/about"}}},
	 {"type":"identify","messageId":"rp-a3","anonymousId":"rpt-a","timestamp":"` + ts(ago(time.Minute)) + `","traits":{"email":"a@reports.example"}}]}`)
	a := e.waitContact("rpt-a", 3)["id"].(string)
	// B: fills the demo form (a form fill), which makes them a lead (a jump
	// past subscriber: no time between those known) and then an MQL.
	e.track(`{"batch":[
	 {"type":"identify","messageId":"rp-b1","anonymousId":"rpt-b","timestamp":"` + ts(ago(time.Minute)) + `","traits":{"email":"b@reports.example"}},
	 {"type":"track","messageId":"rp-b2","anonymousId":"rpt-b","event":"Form Submitted","timestamp":"` + ts(ago(time.Minute)) + `","properties":{"form_id":"demo-request"}}]}`)
	bc := e.waitContact("rpt-b", 2)
	b := bc["id"].(string)
	if bc["stage"] != "mql" {
		t.Fatalf("B's stage %v, want mql", bc["stage"])
	}
	// Sales takes B on by hand: sql reached, minutes after mql.
	if code, body := e.adminDo("PUT", "/v1/contacts/"+b+"/stage", `{"stage":"sql","reason":"meeting booked"}`); code != 200 {
		t.Fatalf("move to sql: %d %v", code, body)
	}
	// Email: A opens a mail (a person's browser), and SES reports a
	// delivery to A and a bounce from B.
	s := e.linksSigner()
	if code, _, _ := e.linksFetch("GET", "/v1/t/o/"+s.Sign(token.Token{Purpose: token.Open, ContactID: a, SendID: "rpt-send-a"}), "", ""); code != 200 {
		t.Fatalf("pixel: %d", code)
	}
	stamp := func(part string) func(d map[string]any) {
		return func(d map[string]any) { d[part].(map[string]any)["timestamp"] = now.Format(time.RFC3339Nano) }
	}
	e.linksSESEvent("delivery.json", "Email Delivered", "rpt-msg-1", "rpt-send-a", a, "a@reports.example", stamp("delivery"))
	e.linksSESEvent("bounce.json", "Email Bounced", "rpt-msg-2", "rpt-send-b", b, "b@reports.example", stamp("bounce"))
	e.linksEvent(a, "Email Opened")
	e.linksEvent(b, "Email Bounced")
	e.settle()

	q := fmt.Sprintf("?from=%s&to=%s", yesterday, today)
	code, o := e.admin("/v1/reports/overview" + q)
	if code != 200 {
		t.Fatalf("overview: %d %v", code, o)
	}
	if days := o["days"].([]any); len(days) != 2 || days[0] != yesterday || days[1] != today {
		t.Fatalf("days %v", o["days"])
	}
	want := map[string][2]float64{
		"new_contacts":     {0, 2},
		"identified_leads": {0, 2},
		"events":           {1, 4}, // A: 1 + 2, B: 2
		"form_fills":       {0, 1},
		"emails_delivered": {0, 1},
		"emails_bounced":   {0, 1},
		"opens_human":      {0, 1},
		"opens_machine":    {0, 0},
		"emails_sent":      {0, 0}, // nothing went through the sender
		"unsubscribes":     {0, 0},
	}
	series := o["series"].(map[string]any)
	for name, w := range want {
		got := series[name].([]any)
		if got[0].(float64) != w[0] || got[1].(float64) != w[1] {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	if br := o["breaker"].(map[string]any); br["state"] != "closed" || br["bounce_rate_threshold"].(float64) <= 0 {
		t.Errorf("breaker %v", br)
	}

	code, f := e.admin("/v1/reports/funnel" + q)
	if code != 200 {
		t.Fatalf("funnel: %d %v", code, f)
	}
	stages := f["stages"].([]any)
	reached := map[string]float64{}
	for _, st := range stages {
		m := st.(map[string]any)
		reached[m["stage"].(string)] = m["reached"].(float64)
	}
	if reached["subscriber"] != 1 || reached["lead"] != 1 || reached["mql"] != 1 || reached["sql"] != 1 || reached["opportunity"] != 0 {
		t.Fatalf("reached %v", reached)
	}
	mql := stages[2].(map[string]any)
	if mql["conversion_to_next"].(float64) != 1 || mql["samples_to_next"].(float64) != 1 || mql["median_hours_to_next"].(float64) >= 1 {
		t.Errorf("mql→sql %v: want conversion 1, one sample under an hour", mql)
	}
	if sub := stages[0].(map[string]any); sub["samples_to_next"].(float64) != 0 || sub["median_hours_to_next"] != nil {
		t.Errorf("subscriber→lead was one jump, no time known: %v", sub)
	}
	if lead := stages[1].(map[string]any); lead["samples_to_next"].(float64) != 1 || lead["median_hours_to_next"].(float64) >= 1 {
		t.Errorf("lead→mql in the same batch: want one sample under an hour: %v", lead)
	}
	// The range is checked before anything is read.
	if code, body := e.admin("/v1/reports/funnel?from=" + today + "&to=" + yesterday); code != 400 || body["error"].(map[string]any)["code"] != "invalid_range" {
		t.Errorf("reversed range: %d %v", code, body)
	}
}
