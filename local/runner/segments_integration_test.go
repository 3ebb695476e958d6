package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/membership"
)

// segmentEvents are the transitions of one contact and segment published
// on the bus, by detail type.
func (e *env) segmentEvents(contactID, segmentID string) map[string][]membership.Transition {
	out := map[string][]membership.Transition{}
	for _, ev := range e.platform.Published() {
		if ev.DetailType != membership.DetailEntered && ev.DetailType != membership.DetailExited {
			continue
		}
		var t membership.Transition
		if err := json.Unmarshal(ev.Detail, &t); err != nil {
			e.t.Fatalf("segment event detail %s: %v", ev.Detail, err)
		}
		if t.ContactID == contactID && t.Segment == segmentID {
			out[ev.DetailType] = append(out[ev.DetailType], t)
		}
	}
	return out
}

// putSegment saves a segment and waits until its build is ready.
func (e *env) putSegment(id, body string) map[string]any {
	e.t.Helper()
	code, resp := e.adminDo("PUT", "/v1/segments/"+id, body)
	if code != 200 && code != 201 {
		e.t.Fatalf("PUT segment %s: %d %v", id, code, resp)
	}
	return e.waitSegment(id, func(s map[string]any) bool { return s["state"] == membership.StateReady })
}

// waitSegment polls GET /v1/segments/{id} until ok. The bound only keeps a
// broken pipeline from hanging the test.
func (e *env) waitSegment(id string, ok func(map[string]any) bool) map[string]any {
	e.t.Helper()
	var last map[string]any
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		code, s := e.admin("/v1/segments/" + id)
		if code != 200 {
			e.t.Fatalf("GET segment %s: %d %v", id, code, s)
		}
		if last = s; ok(s) {
			return s
		}
	}
	e.t.Fatalf("segment %s never got there: %v", id, last)
	return nil
}

func (e *env) segmentMembers(id string) []string {
	e.t.Helper()
	var out []string
	cursor := ""
	for {
		code, page := e.admin("/v1/segments/" + id + "/members?limit=2&cursor=" + cursor)
		if code != 200 {
			e.t.Fatalf("members of %s: %d %v", id, code, page)
		}
		for _, m := range page["members"].([]any) {
			out = append(out, m.(map[string]any)["id"].(string))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			slices.Sort(out)
			return out
		}
		cursor = next
	}
}

func TestEventsMoveAContactIntoAndOutOfASegmentPublishingOnce(t *testing.T) {
	e := newEnv(t)
	e.putSegment("hot-pricing", `{"name":"Hot pricing","filter":{"all":[
	  {"event":{"path_prefix":"/pricing","within_days":7,"min":2}},
	  {"not":{"event":{"name":"Demo Requested","within_days":30}}}]}}`)

	e.track(`{"batch":[{"type":"identify","messageId":"hp1","anonymousId":"hot-1","traits":{"email":"hot@acme.example"}},
	 {"type":"page","messageId":"hp2","anonymousId":"hot-1","context":{"page":{"url":"https://x.test/pricing","path":"/pricing"}}}]}`)
	c := e.waitContact("hot-1", 2)
	cid := c["id"].(string)
	if segs := c["segments"].([]any); slices.Contains(segs, any("hot-pricing")) {
		t.Fatalf("in %v after one pricing view", segs)
	}
	e.track(`{"batch":[{"type":"page","messageId":"hp3","anonymousId":"hot-1","context":{"page":{"url":"https://x.test/pricing/team","path":"/pricing/team"}}}]}`)
	c = e.waitContact("hot-1", 4) // the view and the Segment Entered timeline event
	// The repo's pricing-visitors segment has the same filter.
	if segs := c["segments"].([]any); !slices.Equal(segs, []any{"hot-pricing", "pricing-visitors"}) {
		t.Fatalf("segments %v after two pricing views", c["segments"])
	}
	if s := e.waitSegment("hot-pricing", func(s map[string]any) bool { return s["count"] == float64(1) }); s["updated_at"] == nil {
		t.Errorf("no updated_at: %v", s)
	}
	if got := e.segmentMembers("hot-pricing"); !slices.Equal(got, []string{cid}) {
		t.Errorf("members %v, want [%s]", got, cid)
	}
	found := false
	for _, ev := range c["events"].([]any) {
		if m := ev.(map[string]any); m["event"] == membership.EventEntered {
			found = m["properties"].(map[string]any)["segment_id"] == "hot-pricing"
		}
	}
	if !found {
		t.Errorf("no Segment Entered on the timeline: %v", c["events"])
	}

	// A demo request takes the contact out.
	e.track(`{"batch":[{"type":"track","messageId":"hp4","anonymousId":"hot-1","event":"Demo Requested"}]}`)
	c = e.waitContact("hot-1", 6)
	if segs := c["segments"].([]any); slices.Contains(segs, any("hot-pricing")) {
		t.Fatalf("still in %v after a demo request", segs)
	}
	e.waitSegment("hot-pricing", func(s map[string]any) bool { return s["count"] == float64(0) })

	// A later, unrelated event is the marker: once it is applied every
	// earlier publication has happened, and each happened once.
	e.track(`{"batch":[{"type":"page","messageId":"hp5","anonymousId":"hot-1","context":{"page":{"url":"https://x.test/docs","path":"/docs"}}}]}`)
	e.waitContact("hot-1", 7)
	evs := e.segmentEvents(cid, "hot-pricing")
	if len(evs[membership.DetailEntered]) != 1 || len(evs[membership.DetailExited]) != 1 {
		t.Fatalf("published %d entered and %d exited, want one each", len(evs[membership.DetailEntered]), len(evs[membership.DetailExited]))
	}
	if evs[membership.DetailEntered][0].ID == evs[membership.DetailExited][0].ID {
		t.Error("entered and exited share an id")
	}
	if _, cv := e.admin("/v1/contacts/" + cid); cv["lists"] == nil || cv["segment_counters"] != nil {
		t.Errorf("contact view: lists %v, segment_counters %v", cv["lists"], cv["segment_counters"])
	}
}

func TestTimeWindowExitFiresFromTheTimerWheel(t *testing.T) {
	e := newEnv(t)
	e.putSegment("fresh-trial", `{"name":"Trial started in the last day","filter":{"trait":{"key":"trial_started","op":"within_days","days":1}}}`)
	// The trial started a day ago less a few seconds: in the segment now,
	// out when the day is up, with no event to say so.
	started := time.Now().UTC().Add(-24*time.Hour + 4*time.Second)
	e.track(fmt.Sprintf(`{"batch":[{"type":"identify","messageId":"ft1","anonymousId":"trial-1","traits":{"email":"trial@acme.example","trial_started":%q}}]}`, started.Format(time.RFC3339Nano)))
	c := e.waitContact("trial-1", 2)
	cid := c["id"].(string)
	if segs := c["segments"].([]any); len(segs) != 1 {
		t.Fatalf("segments %v, want fresh-trial", segs)
	}
	lastSeen := c["last_seen"]
	ctx := context.Background()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatal("the contact never left the segment")
		}
		if err := e.platform.FireSchedule(ctx, "timers", "timers-tick"); err != nil {
			t.Fatal(err)
		}
		e.settle()
		if _, c = e.admin("/v1/contacts/" + cid); len(c["segments"].([]any)) == 0 {
			break
		}
	}
	if !started.Add(24 * time.Hour).Before(time.Now()) {
		t.Error("left before the day was up")
	}
	if c["last_seen"] != lastSeen {
		t.Errorf("the recheck moved last_seen from %v to %v", lastSeen, c["last_seen"])
	}
	e.waitSegment("fresh-trial", func(s map[string]any) bool { return s["count"] == float64(0) })
	evs := e.segmentEvents(cid, "fresh-trial")
	if len(evs[membership.DetailEntered]) != 1 || len(evs[membership.DetailExited]) != 1 {
		t.Errorf("published %d entered and %d exited, want one each", len(evs[membership.DetailEntered]), len(evs[membership.DetailExited]))
	}
}

func TestADefinitionChangeRebuildsCountsExactly(t *testing.T) {
	e := newEnv(t)
	want := map[string][]string{}
	for i, country := range []string{"DE", "DE", "FR", "DE", "FR"} {
		anon := fmt.Sprintf("rb-%d", i)
		e.track(fmt.Sprintf(`{"batch":[{"type":"identify","messageId":"%s","anonymousId":"%s","traits":{"email":"%s@acme.example","country":%q}}]}`, anon, anon, anon, country))
		want[country] = append(want[country], e.waitContact(anon, 1)["id"].(string))
	}
	slices.Sort(want["DE"])
	slices.Sort(want["FR"])
	s := e.putSegment("by-country", `{"name":"By country","filter":{"trait":{"key":"country","op":"equals","value":"DE"}}}`)
	if s["count"] != float64(3) {
		t.Fatalf("count %v, want 3", s["count"])
	}
	if got := e.segmentMembers("by-country"); !slices.Equal(got, want["DE"]) {
		t.Errorf("members %v, want %v", got, want["DE"])
	}
	code, resp := e.adminDo("PUT", "/v1/segments/by-country", `{"name":"By country","filter":{"trait":{"key":"country","op":"equals","value":"FR"}}}`)
	if code != 200 || resp["state"] != membership.StateBuilding {
		t.Fatalf("changed definition: %d %v", code, resp)
	}
	s = e.waitSegment("by-country", func(s map[string]any) bool { return s["state"] == membership.StateReady })
	if s["count"] != float64(2) {
		t.Errorf("count after the change %v, want 2", s["count"])
	}
	if got := e.segmentMembers("by-country"); !slices.Equal(got, want["FR"]) {
		t.Errorf("members after the change %v, want %v", got, want["FR"])
	}
	// The rebuilds recorded and published each entry and exit once, as
	// the live path does. The build is ready only after every page's
	// publications, so the ready state is the later marker.
	for country, ids := range want {
		for _, cid := range ids {
			evs := e.segmentEvents(cid, "by-country")
			exits := 0
			if country == "DE" {
				exits = 1
			}
			if len(evs[membership.DetailEntered]) != 1 || len(evs[membership.DetailExited]) != exits {
				t.Errorf("%s (%s): published %d entered and %d exited, want 1 and %d", cid, country, len(evs[membership.DetailEntered]), len(evs[membership.DetailExited]), exits)
			}
			_, c := e.admin("/v1/contacts/" + cid)
			timeline := map[string]int{}
			for _, ev := range c["events"].([]any) {
				if m := ev.(map[string]any); m["properties"] != nil && m["properties"].(map[string]any)["segment_id"] == "by-country" {
					timeline[m["event"].(string)]++
				}
			}
			if timeline[membership.EventEntered] != 1 || timeline[membership.EventExited] != exits {
				t.Errorf("%s (%s): timeline %v, want 1 entered and %d exited", cid, country, timeline, exits)
			}
		}
	}
	// Preview of an unsaved definition.
	code, p := e.adminDo("POST", "/v1/segments/preview", `{"filter":{"trait":{"key":"country","op":"in","values":["DE","FR"]}}}`)
	if code != 200 || p["count"] != float64(5) || p["exact"] != true || len(p["sample"].([]any)) != 5 {
		t.Errorf("preview: %d %v", code, p)
	}
	if code, p := e.adminDo("POST", "/v1/segments/preview", `{"filter":{"segment":"no-such"}}`); code != 400 {
		t.Errorf("preview of a broken reference: %d %v", code, p)
	}
}

func TestListsAddAndRemoveByIDOrEmail(t *testing.T) {
	e := newEnv(t)
	if code, resp := e.adminDo("PUT", "/v1/lists/webinar", `{"name":"Webinar attendees"}`); code != 201 {
		t.Fatalf("PUT list: %d %v", code, resp)
	}
	e.track(`{"batch":[{"type":"identify","messageId":"l1","anonymousId":"list-1","traits":{"email":"one@acme.example"}},{"type":"identify","messageId":"l2","anonymousId":"list-2","traits":{"email":"two@acme.example"}}]}`)
	one := e.waitContact("list-1", 1)["id"].(string)
	two := e.waitContact("list-2", 1)["id"].(string)
	code, resp := e.adminDo("POST", "/v1/lists/webinar/members", `{"contact_ids":["`+one+`"]}`)
	if code != 200 || resp["added"] != float64(1) {
		t.Fatalf("add by id: %d %v", code, resp)
	}
	code, resp = e.adminDo("POST", "/v1/lists/webinar/members", `{"emails":["Two@Acme.example","nobody@acme.example"]}`)
	if code != 200 || resp["added"] != float64(1) || len(resp["not_found"].([]any)) != 1 {
		t.Fatalf("add by email: %d %v", code, resp)
	}
	// Again: nothing new, nothing counted twice.
	e.adminDo("POST", "/v1/lists/webinar/members", `{"contact_ids":["`+one+`"]}`)
	if _, l := e.admin("/v1/lists/webinar"); l["count"] != float64(2) {
		t.Errorf("list count %v, want 2", l["count"])
	}
	if _, c := e.admin("/v1/contacts/" + two); !slices.Contains(c["lists"].([]any), any("webinar")) {
		t.Errorf("contact lists %v", c["lists"])
	}
	code, resp = e.adminDo("DELETE", "/v1/lists/webinar/members", `{"emails":["one@acme.example"]}`)
	if code != 200 || resp["removed"] != float64(1) {
		t.Fatalf("remove: %d %v", code, resp)
	}
	if _, l := e.admin("/v1/lists/webinar"); l["count"] != float64(1) {
		t.Errorf("list count after removal %v, want 1", l["count"])
	}
	if code, _ := e.adminDo("POST", "/v1/lists/nope/members", `{"contact_ids":["x"]}`); code != 404 {
		t.Errorf("unknown list: %d", code)
	}
	if code, _ := e.adminDo("POST", "/v1/lists/webinar/members", `{}`); code != 400 {
		t.Errorf("empty body: %d", code)
	}
}

// A new definition finds anonymous visitors too: the contacts index holds
// only identified contacts, and the rebuild reads the arrivals log the
// processor wrote for the visitors it created anonymous.
func TestARebuildFindsAnonymousVisitors(t *testing.T) {
	e := newEnv(t)
	views := map[string]int{"anon-a": 2, "anon-b": 1, "anon-c": 3}
	for anon, n := range views {
		batch := ""
		for i := range n {
			if i > 0 {
				batch += ","
			}
			batch += fmt.Sprintf(`{"type":"page","messageId":"%s-%d","anonymousId":"%s","context":{"page":{"url":"https://x.test/pricing","path":"/pricing"}}}`, anon, i, anon)
		}
		e.track(`{"batch":[` + batch + `]}`)
	}
	// One identified visitor: in the contacts index (and not logged).
	e.track(`{"batch":[{"type":"identify","messageId":"known-0","anonymousId":"known","traits":{"email":"known@acme.example"}},
	 {"type":"page","messageId":"known-1","anonymousId":"known","context":{"page":{"url":"https://x.test/pricing","path":"/pricing"}}},
	 {"type":"page","messageId":"known-2","anonymousId":"known","context":{"page":{"url":"https://x.test/pricing","path":"/pricing"}}}]}`)
	var want []string
	for anon, n := range views {
		c := e.waitContact(anon, n)
		if n >= 2 {
			want = append(want, c["id"].(string))
		}
	}
	want = append(want, e.waitContact("known", 3)["id"].(string))
	slices.Sort(want)
	s := e.putSegment("pricing-twice", `{"name":"Viewed pricing twice this week","filter":{"event":{"path_prefix":"/pricing","within_days":7,"min":2}}}`)
	if s["count"] != float64(3) {
		t.Errorf("count %v, want 3 (two anonymous visitors, one identified)", s["count"])
	}
	if got := e.segmentMembers("pricing-twice"); !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	for _, cid := range want {
		if evs := e.segmentEvents(cid, "pricing-twice"); len(evs[membership.DetailEntered]) != 1 {
			t.Errorf("%s: published %d segment.entered, want 1", cid, len(evs[membership.DetailEntered]))
		}
	}
}
