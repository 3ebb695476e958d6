package runner_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/fn/processorfn"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// subjects lists the subjects of the mails an address received.
func subjects(ms []localaws.SentEmail) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

func countPrefix(ss []string, prefix string) int {
	n := 0
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// TestWelcomeJourneyEndToEnd runs the repo's welcome journey on the local
// stack: a newsletter sign-up confirmed by its link gets the welcome mail;
// the two-day wait is shortened by configuration (JOURNEY_WAIT_SCALE, read
// by the processor), the timer wheel's tick wakes the run, and since the
// welcome mail was not clicked the tips mail follows. Each mail is in the
// SES server's store exactly once, checked after the journey's end (a later
// marker), not after a sleep.
func TestWelcomeJourneyEndToEnd(t *testing.T) {
	// 2 days × 0.00003 ≈ 5 s.
	t.Setenv(processorfn.EnvJourneyWaitScale, "0.00003")
	e := sendEnv(t, 20, 0)
	// The form gives no time zone, so quiet hours would hold the tips mail
	// (a timed step, not an answer to the contact's action) at night in
	// the default zone: this platform's sending settings have none.
	code, sending := e.admin("/v1/sending")
	if code != 200 {
		t.Fatalf("GET /v1/sending = %d", code)
	}
	delete(sending, "quiet_hours")
	raw, _ := json.Marshal(sending)
	if code, body := e.adminDo("PUT", "/v1/sending", string(raw)); code != 200 {
		t.Fatalf("PUT /v1/sending = %d %v", code, body)
	}
	email := e.addr("wendy")
	code, body, _ := e.formsJSON("newsletter", `{"email":"`+email+`","first_name":"Wendy","consent":true}`, map[string]string{"Origin": "https://www.example.com"})
	if code != 200 || body["status"] != "pending" {
		t.Fatalf("form = %d %v", code, body)
	}
	var confirm string
	e.linksWait("the confirmation mail", func() bool {
		for _, m := range mailsTo(t, email) {
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
	e.linksWait("the welcome mail", func() bool { return countPrefix(subjects(mailsTo(t, email)), "Welcome, Wendy") == 1 })

	// Drill-down: while the run waits (no tick fired yet), the contact is
	// listed at wait-2d of the repo's version (0, the one in effect).
	atWait := "/v1/journeys/welcome/steps/wait-2d/contacts"
	var until time.Time
	e.linksWait("the contact listed at wait-2d", func() bool {
		code, body := e.admin(atWait + "?limit=1")
		cs, _ := body["contacts"].([]any)
		if code != 200 || len(cs) != 1 || cs[0].(map[string]any)["email"] != email || body["version"] != 0.0 || body["next_cursor"] != nil {
			return false
		}
		u, _ := cs[0].(map[string]any)["waiting_until"].(string)
		until, _ = time.Parse(time.RFC3339Nano, u)
		return !until.IsZero()
	})
	// Calendar: the waiting run is the journey's planned volume on the day
	// its wait ends (one run; the tips mail may follow it).
	day := until.UTC().Format(time.DateOnly)
	calendar := "/v1/calendar?from=" + day + "&to=" + until.UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	planned := func() []any {
		code, cal := e.admin(calendar)
		if code != 200 {
			t.Fatalf("GET %s = %d %v", calendar, code, cal)
		}
		js, _ := cal["journeys"].([]any)
		return js
	}
	e.linksWait("the waiting run in the calendar", func() bool {
		js := planned()
		if len(js) != 1 {
			return false
		}
		v := js[0].(map[string]any)
		return v["journey"] == "welcome" && v["name"] == "Newsletter welcome" && v["day"] == day && v["runs"] == 1.0 && v["emails"] == 1.0
	})
	if code, body := e.admin(atWait + "?version=7"); code != 200 || len(body["contacts"].([]any)) != 0 {
		t.Errorf("another version's step = %d %v, want none", code, body)
	}
	if code, body := e.admin(atWait + "?cursor=bm9wZQ"); code != 400 || body["error"].(map[string]any)["code"] != "invalid_parameter" {
		t.Errorf("a made-up cursor = %d %v, want 400 invalid_parameter", code, body)
	}
	if code, _ := e.admin("/v1/journeys/nope/steps/wait-2d/contacts"); code != 404 {
		t.Errorf("unknown journey = %d, want 404", code)
	}

	// The wait comes due after ~5 s; tick the wheel until the tips mail is in.
	e.linksWait("the tips mail after the shortened wait", func() bool {
		if err := e.platform.FireSchedule(context.Background(), "timers", "timers-tick"); err != nil {
			t.Fatal(err)
		}
		return countPrefix(subjects(mailsTo(t, email)), "Three things to try") == 1
	})
	// The run has ended (a low scorer gets no demo nudge): the contact's
	// journeys say so, which is the marker that everything before it is done.
	c := e.formsContact(email, 1)
	id := c["id"].(string)
	var runs []any
	e.linksWait("the run to be recorded as completed", func() bool {
		code, body := e.admin("/v1/contacts/" + id + "/journeys")
		if code != 200 {
			return false
		}
		runs, _ = body["runs"].([]any)
		return len(runs) == 1 && runs[0].(map[string]any)["status"] == "completed"
	})
	// The run moved on: nothing is planned on the day any more.
	e.linksWait("the calendar to drop the run that moved on", func() bool { return len(planned()) == 0 })
	// It ended in its wake's pass, so its drill-down entry at wait-2d was
	// left in the index (keyed by the wake time, within the listing's
	// grace): the listing reads it and drops it against the profile.
	if code, body := e.admin(atWait + "?limit=1"); code != 200 || len(body["contacts"].([]any)) != 0 || body["next_cursor"] != nil {
		t.Errorf("wait-2d after the run ended = %d %v, want nobody listed", code, body)
	}
	st := dynamo.New(dynamodb.NewFromConfig(e.platform.AWS()), e.table)
	if left, _, err := st.StepContacts(context.Background(), "welcome", 0, "wait-2d", "", 10, time.Now()); err != nil || len(left) != 1 || left[0].ContactID != id {
		t.Errorf("index entries at wait-2d %+v (%v), want the ended run's entry left in place (no index write at its end)", left, err)
	}
	// Ticking again changes nothing: the wake-up was consumed.
	if err := e.platform.FireSchedule(context.Background(), "timers", "timers-tick"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	got := subjects(mailsTo(t, email))
	if countPrefix(got, "Welcome, Wendy") != 1 || countPrefix(got, "Three things to try") != 1 || countPrefix(got, "Want us to set it up") != 0 {
		t.Errorf("mails %q: want one welcome, one tips, no demo nudge", got)
	}
	r := runs[0].(map[string]any)
	if r["journey_id"] != "welcome" || r["step"] != "high-score" {
		t.Errorf("run %v: want welcome ending at high-score", r)
	}
	code, steps := e.admin("/v1/journeys/welcome/steps")
	if code != 200 {
		t.Fatalf("steps = %d %v", code, steps)
	}
	counts := map[string]float64{}
	for _, s := range steps["steps"].([]any) {
		m := s.(map[string]any)
		counts[m["step"].(string)+"/"+m["metric"].(string)] = m["n"].(float64)
	}
	for k, want := range map[string]float64{"/entered": 1, "welcome-mail/entered": 1, "tips-mail/left": 1, "high-score/completed": 1} {
		if counts[k] != want {
			t.Errorf("count %s = %v, want %v (all %v)", k, counts[k], want, counts)
		}
	}
	// Edges: the path it took, each move counted once; nothing on the arm
	// it did not take.
	edges := map[string]float64{}
	for _, x := range steps["edges"].([]any) {
		m := x.(map[string]any)
		edges[m["from"].(string)+">"+m["to"].(string)] += m["n"].(float64)
	}
	want := map[string]float64{">welcome-mail": 1, "welcome-mail>wait-2d": 1, "wait-2d>clicked-welcome": 1, "clicked-welcome>tips-mail": 1, "tips-mail>high-score": 1}
	if len(edges) != len(want) {
		t.Errorf("edges %v, want %v", edges, want)
	}
	for k, n := range want {
		if edges[k] != n {
			t.Errorf("edge %s = %v, want %v (all %v)", k, edges[k], n, edges)
		}
	}
	// The run ended: it is no longer listed at any step.
	if code, body := e.admin(atWait); code != 200 || len(body["contacts"].([]any)) != 0 {
		t.Errorf("after the end, wait-2d lists %d %v; want nobody", code, body)
	}
	_ = time.Second
}
