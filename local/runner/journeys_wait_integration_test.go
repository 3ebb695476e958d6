package runner_test

import (
	"context"
	"fmt"
	"slices"
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
	ctx := context.Background()
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

	var wake timer.Timer
	e.linksWait("the run waiting for the demo request", func() bool {
		code, body := e.admin("/v1/contacts/" + id + "/journeys")
		if code != 200 {
			return false
		}
		for _, r := range body["runs"].([]any) {
			m := r.(map[string]any)
			until, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(m["waiting_until"]))
			if m["journey_id"] == "await-demo" && m["status"] == "active" && m["step"] == "w" && !until.IsZero() {
				wake = timer.Timer{ID: fmt.Sprintf("jw:%s:w:%d", m["run_id"], until.Unix()), Due: until}
				return true
			}
		}
		return false
	})
	onWheel := func() bool {
		ts, err := st.DueTimers(ctx, timer.BucketOf(wake.Due), timer.ShardOf(wake.ID), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range ts {
			if tm.ID == wake.ID && tm.ContactID == id {
				return true
			}
		}
		return false
	}
	if !onWheel() {
		t.Fatalf("the timeout's wake-up %s due %s is not on the wheel", wake.ID, wake.Due)
	}

	code, resp, _ := e.formsJSON("demo-request", `{"email":"`+email+`","first_name":"Wendy","company":"Acme"}`, map[string]string{"Origin": "https://www.example.com"})
	if code != 200 {
		t.Fatalf("demo request = %d %v", code, resp)
	}
	e.linksWait("the run completed by the awaited event", func() bool {
		code, body := e.admin("/v1/contacts/" + id + "/journeys")
		if code != 200 {
			return false
		}
		for _, r := range body["runs"].([]any) {
			m := r.(map[string]any)
			if m["journey_id"] == "await-demo" && m["status"] == "completed" {
				return true
			}
		}
		return false
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
