package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/fn/processorfn"
	"github.com/leadflow/leadflow/shared/journeyrun"
)

// journeyEnv is a sending platform with waits shortened by configuration,
// no quiet hours (the form gives no time zone; a timed step at night in
// the default zone would be held) and no frequency caps (the repo's
// welcome journey already sends a subscriber its daily two).
func journeyEnv(t *testing.T) *env {
	t.Helper()
	// 1 h × 0.00003 ≈ 0.1 s: a wait falls due at the next whole second.
	t.Setenv(processorfn.EnvJourneyWaitScale, "0.00003")
	e := sendEnv(t, 20, 0)
	code, sending := e.admin("/v1/sending")
	if code != 200 {
		t.Fatalf("GET /v1/sending = %d", code)
	}
	delete(sending, "quiet_hours")
	delete(sending, "frequency_caps")
	raw, _ := json.Marshal(sending)
	if code, body := e.adminDo("PUT", "/v1/sending", string(raw)); code != 200 {
		t.Fatalf("PUT /v1/sending = %d %v", code, body)
	}
	return e
}

// subscribe signs an address up through the newsletter form and confirms
// it by the link in the confirmation mail; it returns the contact id.
func (e *env) subscribe(email, first string) string {
	e.t.Helper()
	code, body, _ := e.formsJSON("newsletter", `{"email":"`+email+`","first_name":"`+first+`","consent":true}`, map[string]string{"Origin": "https://www.example.com"})
	if code != 200 || body["status"] != "pending" {
		e.t.Fatalf("form = %d %v", code, body)
	}
	var confirm string
	e.linksWait("the confirmation mail", func() bool {
		for _, m := range mailsTo(e.t, email) {
			if l := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.platform.PublicBaseURL()) + `/v1/confirm/[^"]+)"`).FindStringSubmatch(m.Body.HTML); l != nil {
				confirm = l[1]
				return true
			}
		}
		return false
	})
	if code, _, _ := e.linksFetch("POST", localPath(e.t, confirm), "", ""); code >= 400 {
		e.t.Fatalf("confirm = %d", code)
	}
	return e.formsContact(email, 2)["id"].(string)
}

func (e *env) tick() {
	e.t.Helper()
	if err := e.platform.FireSchedule(context.Background(), "timers", "timers-tick"); err != nil {
		e.t.Fatal(err)
	}
}

// stepContacts answers the drill-down of a step: contact id → held.
func (e *env) stepContacts(journeyID string, version float64, step string) map[string]bool {
	e.t.Helper()
	code, body := e.admin(fmt.Sprintf("/v1/journeys/%s/steps/%s/contacts?version=%d", journeyID, step, int64(version)))
	if code != 200 {
		e.t.Fatalf("drill-down %s/%s = %d %v", journeyID, step, code, body)
	}
	out := map[string]bool{}
	for _, c := range body["contacts"].([]any) {
		m := c.(map[string]any)
		held, _ := m["held"].(bool)
		out[m["contact_id"].(string)] = held
	}
	return out
}

// TestJourneyPauseResumeEndToEnd: on the local stack, a journey published
// through the admin API (a short wait, then a mail) is paused while a
// contact waits; the wait falls due while paused and the run is held at
// the mail step with no mail (the drill-down shows it held: the marker
// that the wake-up was handled); resume wakes that run, and the mail
// arrives exactly once (checked after the run is recorded completed and
// the wheel ticked again).
func TestJourneyPauseResumeEndToEnd(t *testing.T) {
	e := journeyEnv(t)
	// Slow rests at a long wait (100 d ≈ 4 min here) the whole time: a
	// run the pause did not hold, which resume must leave alone.
	body := `{"id":"pause-me","name":"Pause me","status":"live","trigger":{"kind":"event","event":"Subscription Confirmed"},"start":"b","steps":[
		{"id":"b","kind":"branch","branch":{"cases":[{"name":"slow","condition":{"trait":{"key":"first_name","op":"equals","value":"Slow"}},"next":"long"}],"else":"w"}},
		{"id":"long","kind":"wait","wait":{"for":"100d"},"next":"m"},
		{"id":"w","kind":"wait","wait":{"for":"1h"},"next":"m"},
		{"id":"m","kind":"email","email":{"template":"demo-nudge"}}]}`
	code, resp := e.adminDo("PUT", "/v1/journeys/pause-me", body)
	if code != 200 && code != 201 {
		t.Fatalf("PUT journey = %d %v", code, resp)
	}
	v1, _ := resp["version"].(float64) // runs stay on the version they entered
	slow := e.subscribe(e.addr("slow"), "Slow")
	e.linksWait("the slow contact waiting at long", func() bool { _, ok := e.stepContacts("pause-me", v1, "long")[slow]; return ok })
	email := e.addr("paula")
	id := e.subscribe(email, "Paula")
	e.linksWait("the contact waiting at w", func() bool { _, ok := e.stepContacts("pause-me", v1, "w")[id]; return ok })

	if code, resp := e.adminDo("POST", "/v1/journeys/pause-me/pause", ""); code != 200 || resp["status"] != "paused" {
		t.Fatalf("pause = %d %v", code, resp)
	}
	// Timed steps run on a journey list at most FreshForTimed old: tick
	// only once any list read before the pause is that old.
	time.Sleep(journeyrun.FreshForTimed + time.Second)
	defer func() {
		if t.Failed() {
			_, runs := e.admin("/v1/contacts/" + id + "/journeys")
			t.Logf("runs: %v\nmails: %q", runs, subjects(mailsTo(t, email)))
		}
	}()
	e.linksWait("the run held at the mail step", func() bool {
		e.tick()
		return e.stepContacts("pause-me", v1, "m")[id]
	})
	if n := countPrefix(subjects(mailsTo(t, email)), "Want us to set it up"); n != 0 {
		t.Fatalf("%d demo mails while paused, want none", n)
	}

	code, resp = e.adminDo("POST", "/v1/journeys/pause-me/resume", "")
	if code != 200 || resp["status"] != "live" || resp["resumed_runs"] != 1.0 {
		t.Fatalf("resume = %d %v, want live with 1 resumed run (the held one, not the one at its timed wait)", code, resp)
	}
	e.linksWait("the demo mail after resume", func() bool {
		e.tick()
		return countPrefix(subjects(mailsTo(t, email)), "Want us to set it up") >= 1
	})
	e.linksWait("the run recorded as completed", func() bool {
		code, body := e.admin("/v1/contacts/" + id + "/journeys")
		if code != 200 {
			return false
		}
		for _, r := range body["runs"].([]any) {
			m := r.(map[string]any)
			if m["journey_id"] == "pause-me" && m["status"] == "completed" {
				return true
			}
		}
		return false
	})
	e.tick()
	e.settle()
	if n := countPrefix(subjects(mailsTo(t, email)), "Want us to set it up"); n != 1 {
		t.Errorf("%d demo mails, want exactly one", n)
	}
	if held, ok := e.stepContacts("pause-me", v1, "long")[slow]; !ok || held {
		t.Errorf("the slow contact left its wait (listed %v, held %v)", ok, held)
	}
	// Nothing is held any more: a second resume wakes nobody.
	if code, resp := e.adminDo("POST", "/v1/journeys/pause-me/resume", ""); code != 200 || resp["resumed_runs"] != 0.0 {
		t.Errorf("second resume = %d %v, want 0 resumed runs", code, resp)
	}
}
