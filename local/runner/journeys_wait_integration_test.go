package runner_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/timer"
)

// TestEventWaitLeftEarlyCancelsItsTimeout: on the local stack, a run
// resting at a wait-for-event has its timeout's wake-up on the timer
// wheel; the awaited event (a demo request from the same address) moves
// the run on within seconds, and the wake-up is gone from the wheel
// instead of firing later for nothing. The run took the event's way, not
// the timeout's.
func TestEventWaitLeftEarlyCancelsItsTimeout(t *testing.T) {
	e := journeyEnv(t)
	st := dynamo.New(dynamodb.NewFromConfig(e.platform.AWS()), e.table)
	// 100 d ≈ 4 min here: the timeout is far off for the test's length.
	body := `{"id":"await-demo","name":"Await a demo","status":"live","trigger":{"kind":"event","event":"Subscription Confirmed"},"start":"w","steps":[
		{"id":"w","kind":"wait","wait":{"event":"Form Submitted","where":[{"property":"form_id","op":"eq","value":"demo-request"}],"timeout":"100d","timeout_next":"late"},"next":"booked"},
		{"id":"booked","kind":"update","update":{"add_tags":["await-booked"]}},
		{"id":"late","kind":"update","update":{"add_tags":["await-late"]}}]}`
	if code, resp := e.adminDo("PUT", "/v1/journeys/await-demo", body); code != 200 && code != 201 {
		t.Fatalf("PUT journey = %d %v", code, resp)
	}
	email := e.addr("wendy")
	id := e.subscribe(email, "Wendy")

	wake := e.waitingWake(id, "await-demo", "w")
	onWheel := func() bool { return wakeOnWheel(t, st, wake, id) }
	if !onWheel() {
		t.Fatalf("the timeout's wake-up %s due %s is not on the wheel", wake.ID, wake.Due)
	}

	code, resp, _ := e.formsJSON("demo-request", `{"email":"`+email+`","first_name":"Wendy","company":"Acme"}`, map[string]string{"Origin": "https://www.example.com"})
	if code != 200 {
		t.Fatalf("demo request = %d %v", code, resp)
	}
	e.linksWait("the run completed by the awaited event", func() bool {
		code, body := e.admin("/v1/contacts/" + id + "/journeys")
		return code == 200 && hasRun(body, "await-demo", "completed")
	})
	e.linksWait("the timeout's wake-up cancelled", func() bool { return !onWheel() })
	_, c := e.admin("/v1/contacts/" + id)
	var tags []string
	for _, tg := range c["tags"].([]any) {
		tags = append(tags, tg.(string))
	}
	if !slices.Contains(tags, "await-booked") || slices.Contains(tags, "await-late") {
		t.Errorf("tags %v: want await-booked (the event's way), not await-late", tags)
	}
}

// TestStoppedRunsWakeUpIsCancelled: an operator stops a contact's run
// resting at a wait (POST /v1/contacts/{id}/journeys/{run}/stop); the run
// is recorded stopped and its wake-up is gone from the wheel.
func TestStoppedRunsWakeUpIsCancelled(t *testing.T) {
	e := journeyEnv(t)
	st := dynamo.New(dynamodb.NewFromConfig(e.platform.AWS()), e.table)
	body := `{"id":"stop-me","name":"Stop me","status":"live","trigger":{"kind":"event","event":"Subscription Confirmed"},"start":"w","steps":[
		{"id":"w","kind":"wait","wait":{"for":"100d"},"next":"m"},
		{"id":"m","kind":"email","email":{"template":"demo-nudge"}}]}`
	if code, resp := e.adminDo("PUT", "/v1/journeys/stop-me", body); code != 200 && code != 201 {
		t.Fatalf("PUT journey = %d %v", code, resp)
	}
	id := e.subscribe(e.addr("stella"), "Stella")
	wake := e.waitingWake(id, "stop-me", "w")
	if !wakeOnWheel(t, st, wake, id) {
		t.Fatalf("the wait's wake-up %s is not on the wheel", wake.ID)
	}
	run := strings.Split(wake.ID, ":")[1]
	code, resp := e.adminDo("POST", "/v1/contacts/"+id+"/journeys/"+run+"/stop", "")
	if code != 200 || resp["status"] != "stopped" {
		t.Fatalf("stop = %d %v", code, resp)
	}
	if wakeOnWheel(t, st, wake, id) {
		t.Error("the stopped run's wake-up is still on the wheel")
	}
	if code, body := e.admin("/v1/contacts/" + id + "/journeys"); code != 200 || !hasRun(body, "stop-me", "stopped") {
		t.Errorf("runs %v, want stop-me stopped", body)
	}
	if code, _ := e.adminDo("POST", "/v1/contacts/"+id+"/journeys/"+run+"/stop", ""); code != 404 {
		t.Errorf("stopping it again = %d, want 404", code)
	}
}

// waitingWake waits until the contact's run of the journey rests at the
// step with a wait end, and returns its wake-up as the wheel keys it.
func (e *env) waitingWake(contactID, journeyID, step string) timer.Timer {
	e.t.Helper()
	var wake timer.Timer
	e.linksWait("the run of "+journeyID+" waiting at "+step, func() bool {
		code, body := e.admin("/v1/contacts/" + contactID + "/journeys")
		if code != 200 {
			return false
		}
		for _, r := range body["runs"].([]any) {
			m := r.(map[string]any)
			until, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(m["waiting_until"]))
			if m["journey_id"] == journeyID && m["status"] == "active" && m["step"] == step && !until.IsZero() {
				wake = timer.Timer{ID: fmt.Sprintf("jw:%s:%s:%d", m["run_id"], step, until.Unix()), Due: until}
				return true
			}
		}
		return false
	})
	return wake
}

// wakeOnWheel reports whether the wake-up is on the timer wheel for the
// contact, waiting to fire.
func wakeOnWheel(t *testing.T, st *dynamo.Store, wake timer.Timer, contactID string) bool {
	t.Helper()
	tm, ok := onWheel(t, st, wake)
	return ok && tm.ContactID == contactID
}

// onWheel finds a timer (by id, in its due bucket) waiting to fire: in
// its late shard, or in its regular shard after the shard's mark.
func onWheel(t *testing.T, st *dynamo.Store, want timer.Timer) (timer.Timer, bool) {
	t.Helper()
	ctx, bucket := context.Background(), timer.BucketOf(want.Due)
	marks, err := st.Marks(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, shard := range []int{timer.ShardOf(want.ID), timer.LateShardOf(want.ID)} {
		ts, err := st.DueTimers(ctx, bucket, shard, marks[shard], 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range ts {
			if tm.ID == want.ID {
				return tm, true
			}
		}
	}
	return timer.Timer{}, false
}

// hasRun reports whether a GET /v1/contacts/{id}/journeys answer lists a
// run of the journey with the status.
func hasRun(body map[string]any, journeyID, status string) bool {
	runs, _ := body["runs"].([]any)
	for _, r := range runs {
		m := r.(map[string]any)
		if m["journey_id"] == journeyID && m["status"] == status {
			return true
		}
	}
	return false
}

// TestPublishADraftJourney: POST /v1/journeys/{id}/publish on the local
// stack turns a draft into a new live version (with the marketer's choice
// for runs inside), and a subscriber then enters it; a missing journey is
// a 404. (That a draft enters nobody is the engine's, tested with the
// simulator's tables; here the processor's journey list is first read by
// the subscriber's confirmation, after the publish.)
func TestPublishADraftJourney(t *testing.T) {
	e := journeyEnv(t)
	body := `{"id":"drafted","name":"Drafted","status":"draft","trigger":{"kind":"event","event":"Subscription Confirmed"},"start":"w","steps":[
		{"id":"w","kind":"wait","wait":{"for":"100d"}}]}`
	code, resp := e.adminDo("PUT", "/v1/journeys/drafted", body)
	if code != 200 && code != 201 {
		t.Fatalf("PUT journey = %d %v", code, resp)
	}
	draft, _ := resp["version"].(float64)
	code, resp = e.adminDo("POST", "/v1/journeys/drafted/publish", `{"on_new_version":"move"}`)
	if code != 200 || resp["status"] != "live" || resp["on_new_version"] != "move" {
		t.Fatalf("publish = %d %v", code, resp)
	}
	if v, _ := resp["version"].(float64); v <= draft {
		t.Errorf("published as version %v, want a version after the draft's %v", v, draft)
	}
	if code, body := e.admin("/v1/journeys/drafted"); code != 200 || !strings.Contains(fmt.Sprint(body), "status:live") {
		t.Errorf("GET after publish = %d %v", code, body)
	}
	if code, resp := e.adminDo("POST", "/v1/journeys/nope/publish", ""); code != 404 {
		t.Errorf("publishing a missing journey = %d %v, want 404", code, resp)
	}
	id := e.subscribe(e.addr("pia"), "Pia")
	e.linksWait("the subscriber entering the published journey", func() bool {
		code, body := e.admin("/v1/contacts/" + id + "/journeys")
		return code == 200 && hasRun(body, "drafted", "active")
	})
}
