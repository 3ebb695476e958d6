package segment

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/tracking"
)

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func parse(t *testing.T, js string) Filter {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(js))
	dec.DisallowUnknownFields()
	var f Filter
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return f
}

func program(t *testing.T, js, tz string) *Program {
	t.Helper()
	p, err := Compile(Segment{ID: "s", Name: "S", Timezone: tz, Filter: parse(t, js)})
	if err != nil {
		t.Fatalf("compile %s: %v", js, err)
	}
	return p
}

func base() *View {
	return &View{
		Traits: map[string]any{
			"country": "DE", "employees": 250.0, "seats": "12", "plan": "Pro", "beta": true,
			"renewal": "2026-12-20", "signed_up": "2026-12-01T09:00:00Z", "langs": []any{"de", "en"}, "nothing": nil,
		},
		Tags: []string{"vip"}, Fit: 40, Engagement: 12.5, Total: 52, Stage: "mql", Owner: "u1",
		Status: "subscribed", ConsentPurposes: []string{"marketing"}, UnsubscribedTopics: []string{"events"},
		Interests: map[string]int{"pricing": 3}, Created: now.Add(-10 * 24 * time.Hour), LastSeen: now.Add(-2 * time.Hour),
		Lists: []string{"webinar"}, Segments: []string{"other"},
	}
}

func TestEvalConditions(t *testing.T) {
	today := Day(now)
	withCounters := func(c Counters) func(*View) { return func(v *View) { v.Counters = c } }
	tests := []struct {
		name   string
		filter string
		tz     string
		edit   func(*View)
		want   bool
	}{
		{"equals string folds case", `{"trait":{"key":"country","op":"equals","value":"de"}}`, "", nil, true},
		{"equals other", `{"trait":{"key":"country","op":"equals","value":"FR"}}`, "", nil, false},
		{"equals number", `{"trait":{"key":"employees","op":"equals","value":250}}`, "", nil, true},
		{"equals numeric string", `{"trait":{"key":"seats","op":"equals","value":12}}`, "", nil, true},
		{"equals bool", `{"trait":{"key":"beta","op":"equals","value":true}}`, "", nil, true},
		{"equals bool against string", `{"trait":{"key":"country","op":"equals","value":true}}`, "", nil, false},
		{"equals missing", `{"trait":{"key":"city","op":"equals","value":"Berlin"}}`, "", nil, false},
		{"not_equals", `{"trait":{"key":"country","op":"not_equals","value":"FR"}}`, "", nil, true},
		{"not_equals same", `{"trait":{"key":"country","op":"not_equals","value":"DE"}}`, "", nil, false},
		{"not_equals missing is false", `{"trait":{"key":"city","op":"not_equals","value":"Berlin"}}`, "", nil, false},
		{"not_equals null is false", `{"trait":{"key":"nothing","op":"not_equals","value":"x"}}`, "", nil, false},
		{"contains substring", `{"trait":{"key":"plan","op":"contains","value":"RO"}}`, "", nil, true},
		{"contains no", `{"trait":{"key":"plan","op":"contains","value":"team"}}`, "", nil, false},
		{"contains array element", `{"trait":{"key":"langs","op":"contains","value":"EN"}}`, "", nil, true},
		{"contains on number", `{"trait":{"key":"employees","op":"contains","value":"25"}}`, "", nil, false},
		{"in", `{"trait":{"key":"country","op":"in","values":["AT","de","CH"]}}`, "", nil, true},
		{"in numbers", `{"trait":{"key":"employees","op":"in","values":[100,250]}}`, "", nil, true},
		{"in none", `{"trait":{"key":"country","op":"in","values":["AT","CH"]}}`, "", nil, false},
		{"exists", `{"trait":{"key":"country","op":"exists"}}`, "", nil, true},
		{"exists missing", `{"trait":{"key":"city","op":"exists"}}`, "", nil, false},
		{"exists null", `{"trait":{"key":"nothing","op":"exists"}}`, "", nil, false},
		{"not_exists missing", `{"trait":{"key":"city","op":"not_exists"}}`, "", nil, true},
		{"not_exists set", `{"trait":{"key":"country","op":"not_exists"}}`, "", nil, false},
		{"gt", `{"trait":{"key":"employees","op":"gt","value":249}}`, "", nil, true},
		{"gt edge", `{"trait":{"key":"employees","op":"gt","value":250}}`, "", nil, false},
		{"gte edge", `{"trait":{"key":"employees","op":"gte","value":250}}`, "", nil, true},
		{"lt", `{"trait":{"key":"employees","op":"lt","value":250}}`, "", nil, false},
		{"lte edge", `{"trait":{"key":"employees","op":"lte","value":250}}`, "", nil, true},
		{"gt numeric string", `{"trait":{"key":"seats","op":"gt","value":10}}`, "", nil, true},
		{"gt non-number", `{"trait":{"key":"country","op":"gt","value":1}}`, "", nil, false},
		{"gt missing", `{"trait":{"key":"x","op":"gt","value":1}}`, "", nil, false},
		{"before date", `{"trait":{"key":"renewal","op":"before","value":"2026-12-21"}}`, "", nil, true},
		{"before same day", `{"trait":{"key":"renewal","op":"before","value":"2026-12-20"}}`, "", nil, false},
		{"after rfc3339", `{"trait":{"key":"signed_up","op":"after","value":"2026-12-01T08:59:59Z"}}`, "", nil, true},
		{"after exact is false", `{"trait":{"key":"signed_up","op":"after","value":"2026-12-01T09:00:00Z"}}`, "", nil, false},
		// 2026-12-01 in Tokyo starts at 2026-11-30T15:00Z; in UTC at 00:00Z.
		{"date-only in segment zone", `{"trait":{"key":"signed_up","op":"after","value":"2026-12-01"}}`, "Asia/Tokyo", nil, true},
		{"date-only in New York", `{"trait":{"key":"signed_up","op":"before","value":"2026-12-01"}}`, "America/New_York", nil, false},
		{"trait date-only read in zone", `{"trait":{"key":"renewal","op":"before","value":"2026-12-19T16:00:00Z"}}`, "Asia/Tokyo", nil, true},
		{"trait date-only read in UTC", `{"trait":{"key":"renewal","op":"before","value":"2026-12-19T16:00:00Z"}}`, "", nil, false},
		{"within_days", `{"trait":{"key":"signed_up","op":"within_days","days":7}}`, "", nil, true},
		{"within_days out", `{"trait":{"key":"signed_up","op":"within_days","days":6}}`, "", nil, false},
		{"within_days future is not", `{"trait":{"key":"renewal","op":"within_days","days":30}}`, "", nil, false},
		{"older_than_days", `{"trait":{"key":"signed_up","op":"older_than_days","days":6}}`, "", nil, true},
		{"older_than_days no", `{"trait":{"key":"signed_up","op":"older_than_days","days":7}}`, "", nil, false},
		{"date op on non-date", `{"trait":{"key":"country","op":"within_days","days":7}}`, "", nil, false},
		{"tag", `{"tag":"vip"}`, "", nil, true},
		{"tag missing", `{"tag":"partner"}`, "", nil, false},
		{"fit gte", `{"score":{"kind":"fit","op":"gte","value":40}}`, "", nil, true},
		{"engagement gt", `{"score":{"kind":"engagement","op":"gt","value":12.5}}`, "", nil, false},
		{"total lt", `{"score":{"kind":"total","op":"lt","value":60}}`, "", nil, true},
		{"total equals", `{"score":{"kind":"total","op":"equals","value":52}}`, "", nil, true},
		{"stage in", `{"stage":{"in":["mql","sql"]}}`, "", nil, true},
		{"stage not in", `{"stage":{"in":["customer"]}}`, "", nil, false},
		{"owner exists", `{"owner":{"exists":true}}`, "", nil, true},
		{"team exists false", `{"team":{"exists":false}}`, "", nil, true},
		{"team in", `{"team":{"in":["emea"]}}`, "", nil, false},
		{"status subscribed", `{"status":{"in":["subscribed"]}}`, "", nil, true},
		{"status none", `{"status":{"in":["none"]}}`, "", func(v *View) { v.Status = "" }, true},
		{"status suppressed wins", `{"status":{"in":["suppressed"]}}`, "", func(v *View) { v.Suppressed = true }, true},
		{"status pending", `{"status":{"in":["pending"]}}`, "", nil, false},
		{"consent", `{"consent":"marketing"}`, "", nil, true},
		{"consent other purpose", `{"consent":"advertising"}`, "", nil, false},
		{"consent after unsubscribe", `{"consent":"marketing"}`, "", func(v *View) { v.Status = "unsubscribed" }, false},
		{"topic subscribed", `{"topic":"product"}`, "", nil, true},
		{"topic switched off", `{"topic":"events"}`, "", nil, false},
		{"topic when pending", `{"topic":"product"}`, "", func(v *View) { v.Status = "pending" }, false},
		{"interest default min", `{"interest":{"name":"pricing"}}`, "", nil, true},
		{"interest min", `{"interest":{"name":"pricing","min":4}}`, "", nil, false},
		{"interest missing", `{"interest":{"name":"api"}}`, "", nil, false},
		{"created within", `{"created":{"within_days":11}}`, "", nil, true},
		{"created within edge", `{"created":{"within_days":10}}`, "", nil, false},
		{"created older", `{"created":{"older_than_days":10}}`, "", nil, true},
		{"created before", `{"created":{"before":"2026-11-28"}}`, "", nil, true},
		{"created after", `{"created":{"after":"2026-11-28"}}`, "", nil, false},
		{"last_seen within", `{"last_seen":{"within_days":1}}`, "", nil, true},
		{"last_seen never", `{"last_seen":{"within_days":30}}`, "", func(v *View) { v.LastSeen = time.Time{} }, false},
		{"segment", `{"segment":"other"}`, "", nil, true},
		{"segment not", `{"segment":"third"}`, "", nil, false},
		{"list", `{"list":"webinar"}`, "", nil, true},
		{"list not", `{"list":"ebook"}`, "", nil, false},
		{"all", `{"all":[{"tag":"vip"},{"stage":{"in":["mql"]}}]}`, "", nil, true},
		{"all one false", `{"all":[{"tag":"vip"},{"stage":{"in":["sql"]}}]}`, "", nil, false},
		{"any", `{"any":[{"tag":"nope"},{"stage":{"in":["mql"]}}]}`, "", nil, true},
		{"any none", `{"any":[{"tag":"nope"},{"list":"x"}]}`, "", nil, false},
		{"not", `{"not":{"tag":"vip"}}`, "", nil, false},
		{"nested", `{"all":[{"any":[{"tag":"x"},{"not":{"list":"y"}}]},{"not":{"not":{"tag":"vip"}}}]}`, "", nil, true},
		{"missing-or-not-equals idiom", `{"any":[{"trait":{"key":"city","op":"not_equals","value":"Berlin"}},{"trait":{"key":"city","op":"not_exists"}}]}`, "", nil, true},

		// Event windows: today and the N-1 days before it.
		{"event at least 2 in 7 days", `{"event":{"path_prefix":"/pricing","within_days":7,"min":2}}`, "",
			withCounters(Counters{"p:/pricing": {today - 6, 1, today, 1}}), true},
		{"event bucket at window edge is out", `{"event":{"path_prefix":"/pricing","within_days":7,"min":2}}`, "",
			withCounters(Counters{"p:/pricing": {today - 7, 1, today, 1}}), false},
		{"event default min 1", `{"event":{"name":"Demo Requested","within_days":30}}`, "",
			withCounters(Counters{"e:Demo Requested": {today - 29, 1}}), true},
		{"did not do (max 0)", `{"event":{"name":"Demo Requested","within_days":30,"max":0}}`, "",
			withCounters(Counters{"e:Demo Requested": {today - 30, 1}}), true},
		{"did not do, but did", `{"event":{"name":"Demo Requested","within_days":30,"max":0}}`, "",
			withCounters(Counters{"e:Demo Requested": {today - 3, 1}}), false},
		{"at most 2", `{"event":{"name":"Login","within_days":7,"max":2}}`, "",
			withCounters(Counters{"e:Login": {today - 1, 2, today, 1}}), false},
		{"between 1 and 3", `{"event":{"name":"Login","within_days":7,"min":1,"max":3}}`, "",
			withCounters(Counters{"e:Login": {today - 1, 2, today, 1}}), true},
		{"no counters", `{"event":{"name":"Login","within_days":7}}`, "", nil, false},
		{"email opened human", `{"email":{"action":"opened","within_days":14}}`, "",
			withCounters(Counters{"o": {today - 13, 1}}), true},
		{"email machine open does not count", `{"email":{"action":"opened","within_days":14}}`, "",
			withCounters(Counters{"om": {today, 3}}), false},
		{"email machine open when asked", `{"email":{"action":"opened","within_days":14,"include_machine":true}}`, "",
			withCounters(Counters{"om": {today, 3}}), true},
		{"email any = click", `{"email":{"action":"any","within_days":14}}`, "",
			withCounters(Counters{"c": {today, 1}}), true},
		{"email clicked template", `{"email":{"action":"clicked","template":"welcome","within_days":14}}`, "",
			withCounters(Counters{"c": {today, 1}, "c:lead-nurture-1": {today, 1}}), false},
		{"email clicked template yes", `{"email":{"action":"clicked","template":"welcome","within_days":14}}`, "",
			withCounters(Counters{"c:welcome": {today, 1}}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := base()
			if tt.edit != nil {
				tt.edit(v)
			}
			if got := program(t, tt.filter, tt.tz).Eval(v, now); got != tt.want {
				t.Errorf("Eval(%s) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

func TestMissingTraitsMap(t *testing.T) {
	v := &View{}
	for _, js := range []string{
		`{"trait":{"key":"a","op":"equals","value":"x"}}`, `{"trait":{"key":"a","op":"gt","value":1}}`,
		`{"trait":{"key":"a","op":"within_days","days":3}}`, `{"interest":{"name":"a"}}`, `{"created":{"before":"2030-01-01"}}`,
	} {
		if program(t, js, "").Eval(v, now) {
			t.Errorf("%s matched an empty contact", js)
		}
	}
	if !program(t, `{"trait":{"key":"a","op":"not_exists"}}`, "").Eval(v, now) {
		t.Error("not_exists did not match an empty contact")
	}
}

func TestValidate(t *testing.T) {
	bad := map[string]string{
		`{}`:                                "empty node",
		`{"tag":"a","list":"b"}`:            "exactly one key",
		`{"all":[]}`:                        "at least one",
		`{"trait":{"key":"a","op":"like"}}`: "unknown operator",
		`{"trait":{"op":"exists"}}`:         "key",
		`{"trait":{"key":"a","op":"gt","value":"x"}}`:               "number",
		`{"trait":{"key":"a","op":"before","value":"yesterday"}}`:   "not a date",
		`{"trait":{"key":"a","op":"within_days"}}`:                  "days",
		`{"trait":{"key":"a","op":"in","values":[]}}`:               "values",
		`{"event":{"name":"x","within_days":0}}`:                    "within_days",
		`{"event":{"name":"x","within_days":91}}`:                   "within_days",
		`{"event":{"name":"x","path_prefix":"/a","within_days":3}}`: "either",
		`{"event":{"path_prefix":"pricing","within_days":3}}`:       "start with /",
		`{"event":{"name":"x","within_days":3,"min":3,"max":1}}`:    "above max",
		`{"email":{"action":"bounced","within_days":3}}`:            "action",
		`{"score":{"kind":"lead","op":"gt","value":1}}`:             "kind",
		`{"stage":{}}`:               "in or exists",
		`{"status":{"in":["gone"]}}`: "not one of",
		`{"created":{"within_days":3,"before":"2026-01-01"}}`: "one of",
		`{"segment":"Bad Id"}`:                                "valid id",
		`{"interest":{"name":""}}`:                            "name",
		`{"not":{"journey_email":{"action":"clicked"}}}`:      "only a journey's branch or goal",
	}
	for js, want := range bad {
		err := parse(t, js).Validate()
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%s) = %v, want an ErrInvalid mentioning %q", js, err, want)
		}
	}
	deep := `{"tag":"x"}`
	for range MaxDepth + 1 {
		deep = `{"not":` + deep + `}`
	}
	if err := parse(t, deep).Validate(); err == nil {
		t.Error("a filter nested too deep was accepted")
	}
	dec := json.NewDecoder(strings.NewReader(`{"tags":"x"}`))
	dec.DisallowUnknownFields()
	var f Filter
	if err := dec.Decode(&f); err == nil {
		t.Error("an unknown field was accepted")
	}
	if err := (Segment{ID: "a", Name: "A", Timezone: "Mars/Base", Filter: parse(t, `{"tag":"x"}`)}).Validate(); err == nil {
		t.Error("a bad time zone was accepted")
	}
	if err := (Segment{ID: "a", Name: "A", Filter: parse(t, `{"segment":"a"}`)}).Validate(); err == nil {
		t.Error("a segment referring to itself was accepted")
	}
}

// TestJourneyEmail: the run's own mail, only in a journey condition, and
// false for a view with no run.
func TestJourneyEmail(t *testing.T) {
	f := parse(t, `{"journey_email":{"action":"clicked","step":"welcome"}}`)
	if err := f.ValidateInJourney(); err != nil {
		t.Fatalf("ValidateInJourney = %v", err)
	}
	if err := parse(t, `{"journey_email":{"action":"any"}}`).ValidateInJourney(); err == nil {
		t.Error("action any was accepted")
	}
	p, err := CompileCondition(f)
	if err != nil {
		t.Fatal(err)
	}
	v := base()
	for _, tc := range []struct {
		run  *RunMail
		want bool
	}{
		{nil, false},
		{&RunMail{Opened: []string{"welcome"}}, false},
		{&RunMail{Clicked: []string{"tips"}}, false},
		{&RunMail{Clicked: []string{"welcome"}}, true},
	} {
		v.Run = tc.run
		if got := p.Eval(v, now); got != tc.want {
			t.Errorf("run %+v: got %v, want %v", tc.run, got, tc.want)
		}
		if ok, why := p.Explain(v, now); ok != tc.want || !strings.HasPrefix(why, "clicked the mail of step welcome: ") {
			t.Errorf("Explain = %v %q", ok, why)
		}
	}
	if _, err := Compile(Segment{ID: "s", Name: "S", Filter: f}); err == nil {
		t.Error("a segment using journey_email was accepted")
	}
}

func TestCheckRefs(t *testing.T) {
	seg := func(id, js string) Segment { return Segment{ID: id, Name: id, Filter: parse(t, js)} }
	ok := []Segment{seg("a", `{"segment":"b"}`), seg("b", `{"all":[{"segment":"c"},{"tag":"x"}]}`), seg("c", `{"tag":"y"}`)}
	if err := CheckRefs(ok); err != nil {
		t.Fatalf("CheckRefs(chain) = %v", err)
	}
	cycle := []Segment{seg("a", `{"segment":"b"}`), seg("b", `{"not":{"segment":"c"}}`), seg("c", `{"any":[{"segment":"a"}]}`)}
	if err := CheckRefs(cycle); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("CheckRefs(cycle) = %v, want a cycle error", err)
	}
	if err := CheckRefs([]Segment{seg("a", `{"segment":"zz"}`)}); err == nil || !strings.Contains(err.Error(), "unknown segment zz") {
		t.Errorf("CheckRefs(unknown) = %v", err)
	}
	// A set evaluates dependencies first, whatever order they come in.
	set, err := NewSet(ok)
	if err != nil {
		t.Fatal(err)
	}
	v := &View{Tags: []string{"x", "y"}}
	if got := set.Eval(v, now); strings.Join(got, ",") != "a,b,c" {
		t.Errorf("Set.Eval = %v, want a,b,c", got)
	}
	v = &View{Tags: []string{"y"}, Segments: []string{"a", "b"}}
	if got := set.Eval(v, now); strings.Join(got, ",") != "c" {
		t.Errorf("Set.Eval after losing tag x = %v, want c", got)
	}
}

func TestNextChange(t *testing.T) {
	today := Day(now)
	p := program(t, `{"all":[{"event":{"path_prefix":"/pricing","within_days":7,"min":2}},{"last_seen":{"within_days":30}}]}`, "")
	v := &View{LastSeen: now.Add(-time.Hour), Counters: Counters{"p:/pricing": {today - 3, 1, today, 1}}}
	if !p.Eval(v, now) {
		t.Fatal("does not match")
	}
	// The bucket of 3 days ago leaves the 7-day window at the start of
	// day today+4.
	want := dayStart(today + 4)
	if got := p.NextChange(v, now); !got.Equal(want) {
		t.Errorf("NextChange = %v, want %v", got, want)
	}
	if p.Eval(v, want.Add(-time.Nanosecond)) == false || p.Eval(v, want) == true {
		t.Error("result does not change exactly at NextChange")
	}
	// "did not do X in 30 days": entry when the event ages out.
	q := program(t, `{"event":{"name":"Demo Requested","within_days":30,"max":0}}`, "")
	v = &View{Counters: Counters{"e:Demo Requested": {today - 10, 1}}}
	if q.Eval(v, now) {
		t.Fatal("matched a contact who did it 10 days ago")
	}
	at := q.NextChange(v, now)
	if !at.Equal(dayStart(today+20)) || !q.Eval(v, at) {
		t.Errorf("NextChange = %v (match then: %v), want %v and a match", at, q.Eval(v, at), dayStart(today+20))
	}
	// Date conditions: exact instants.
	r := program(t, `{"trait":{"key":"signed_up","op":"within_days","days":7}}`, "")
	v = &View{Traits: map[string]any{"signed_up": "2026-12-01T09:00:00Z"}}
	if got := r.NextChange(v, now); !got.Equal(time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("trait NextChange = %v", got)
	}
	if got := program(t, `{"tag":"x"}`, "").NextChange(v, now); !got.IsZero() {
		t.Errorf("a timeless filter has NextChange %v", got)
	}
}

func TestCountersRecordAndPrune(t *testing.T) {
	today := Day(now)
	needs := Needs{"p:/pricing": 7, "e:Demo Requested": 30, "o": 14, "c:welcome": 14}
	var c Counters
	page := func(path string, at time.Time) tracking.Message {
		return tracking.Message{Type: tracking.TypePage, Timestamp: at, Context: tracking.Context{Page: &tracking.Page{Path: path}}}
	}
	for _, m := range []tracking.Message{
		page("/pricing", now), page("/pricing/team", now.Add(-24*time.Hour)), page("/pricingx", now), page("/about", now),
		page("/pricing", now.Add(-8*24*time.Hour)), // older than the window: not counted
		{Type: tracking.TypeTrack, Event: "Demo Requested", Timestamp: now},
		{Type: tracking.TypeTrack, Event: "Other", Timestamp: now},
		{Type: tracking.TypeTrack, Event: RecheckEvent, Timestamp: now},
		{Type: tracking.TypeTrack, Event: engagement.EventOpened, Timestamp: now, Properties: map[string]any{"machine": false}},
		{Type: tracking.TypeTrack, Event: engagement.EventOpened, Timestamp: now, Properties: map[string]any{"machine": true}},
		{Type: tracking.TypeTrack, Event: engagement.EventClicked, Timestamp: now, Properties: map[string]any{"machine": false, "template_id": "welcome"}},
	} {
		c.Record(m, needs, today)
	}
	want := map[string][]int32{"p:/pricing": {today - 1, 1, today, 1}, "e:Demo Requested": {today, 1}, "o": {today, 1}, "c:welcome": {today, 1}}
	got, _ := json.Marshal(c)
	wantJS, _ := json.Marshal(want)
	if string(got) != string(wantJS) {
		t.Fatalf("counters = %s, want %s", got, wantJS)
	}
	// A week later the page buckets are gone, the 30-day one stays; a key
	// no segment needs any more is dropped.
	delete(needs, "o")
	c.Prune(needs, today+7)
	got, _ = json.Marshal(c)
	if want := `{"c:welcome":[` + itoa(today) + `,1],"e:Demo Requested":[` + itoa(today) + `,1]}`; string(got) != want {
		t.Errorf("after prune %s, want %s", got, want)
	}
	// Bounds hold whatever the needs.
	big := Needs{}
	var many Counters
	for i := range 30 {
		k := "e:ev" + itoa(int32(i))
		big[k] = 90
		for d := range int32(10) {
			many.Record(tracking.Message{Type: tracking.TypeTrack, Event: "ev" + itoa(int32(i)), Timestamp: dayStart(today - d)}, big, today)
		}
	}
	many.Prune(big, today)
	pairs := 0
	for _, p := range many {
		pairs += len(p) / 2
	}
	if len(many) > MaxCounterKeys || pairs > MaxCounterPairs {
		t.Errorf("%d keys and %d buckets, over %d and %d", len(many), pairs, MaxCounterKeys, MaxCounterPairs)
	}
	if raw, _ := json.Marshal(many); len(raw) > 1024 {
		t.Errorf("bounded counters are %d bytes", len(raw))
	}
}

func itoa(d int32) string { b, _ := json.Marshal(d); return string(b) }

func jsonDecode(js string, f *Filter) error {
	dec := json.NewDecoder(strings.NewReader(js))
	dec.DisallowUnknownFields()
	return dec.Decode(f)
}

// A recheck timer costs a write per contact: NextChange is zero when time
// alone cannot change the result, and otherwise the first moment it can.
func TestNextChangeOnlyWhenTimeCanChangeTheResult(t *testing.T) {
	today := Day(now)
	twice := `{"event":{"path_prefix":"/pricing","within_days":7,"min":2}}`
	cases := []struct {
		name, filter string
		counters     Counters
		traits       map[string]any
		want         time.Time
	}{
		{"under the minimum: counts only fall", twice, Counters{"p:/pricing": {today - 1, 1}}, nil, time.Time{}},
		{"a member leaves when the count drops under the minimum, not at the first departure", twice,
			Counters{"p:/pricing": {today - 5, 1, today - 2, 2}}, nil, dayStart(today - 2 + 7)},
		{"at most one: enters once enough have left", `{"event":{"path_prefix":"/pricing","within_days":7,"max":1}}`,
			Counters{"p:/pricing": {today - 6, 1, today - 4, 1, today - 3, 1}}, nil, dayStart(today - 4 + 7)},
		{"the example segment, one pricing view: no timer",
			`{"all":[` + twice + `,{"not":{"event":{"name":"Demo Requested","within_days":30}}}]}`,
			Counters{"p:/pricing": {today, 1}}, nil, time.Time{}},
		{"the example segment, a member: when pricing ages out",
			`{"all":[` + twice + `,{"not":{"event":{"name":"Demo Requested","within_days":30}}}]}`,
			Counters{"p:/pricing": {today - 1, 1, today, 1}}, nil, dayStart(today - 1 + 7)},
		{"a failing all waits for its last failing child",
			`{"all":[{"trait":{"key":"a","op":"older_than_days","days":3}},{"trait":{"key":"b","op":"older_than_days","days":5}}]}`,
			nil, map[string]any{"a": now.Format(time.RFC3339), "b": now.Format(time.RFC3339)}, now.Add(5 * 24 * time.Hour)},
		{"a matching any with a timeless match never changes by time",
			`{"any":[{"tag":"vip"},{"last_seen":{"within_days":30}}]}`, nil, nil, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := program(t, c.filter, "")
			v := &View{Counters: c.counters, Traits: c.traits, Tags: []string{"vip"}, LastSeen: now.Add(-time.Hour)}
			got := p.NextChange(v, now)
			if !got.Equal(c.want) {
				t.Fatalf("NextChange = %v, want %v", got, c.want)
			}
			if got.IsZero() {
				return
			}
			if p.Eval(v, got.Add(-time.Second)) != p.Eval(v, now) || p.Eval(v, got) == p.Eval(v, now) {
				t.Errorf("the result does not change exactly at %v", got)
			}
		})
	}
}
