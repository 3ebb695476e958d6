package scoring

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/shared/tracking"
)

func TestRoute(t *testing.T) {
	r := testModel().Routing
	at := func(country string, employees float64) Facts {
		f := Facts{Traits: map[string]any{}}
		if country != "" {
			f.Location = &tracking.Location{Country: country}
		}
		if employees > 0 {
			f.Traits["employees"] = employees
		}
		return f
	}
	tests := []struct {
		name   string
		facts  Facts
		team   string
		reason string
	}{
		{"enterprise by size anywhere", at("FR", 3000), "ent", `territory "big": company size 1001-5000`},
		{"enterprise by size, no country", at("", 20000), "ent", `territory "big": company size 10001+`},
		{"US upper mid-market", at("us", 700), "ent", "territory #1: country US, company size 501-1000"},
		{"upper mid-market elsewhere", at("GB", 700), "smb", "default territory: no other territory matched"},
		{"US small", at("US", 40), "smb", "default territory: no other territory matched"},
		{"nothing known", Facts{}, "smb", "default territory: no other territory matched"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := r.Route(tc.facts)
			if a.Team != tc.team || a.Reason != tc.reason || a.Owner != "" {
				t.Errorf("Route = %+v, want team %s reason %q", a, tc.team, tc.reason)
			}
		})
	}
}

func TestOwnerRoundRobin(t *testing.T) {
	r := testModel().Routing
	var got []string
	for c := int64(0); c < 7; c++ {
		got = append(got, r.Owner("smb", c))
	}
	if strings.Join(got, ",") != "cy,di,ed,cy,di,ed,cy" {
		t.Errorf("round robin gave %v", got)
	}
	if r.Owner("smb", -1) != "ed" || r.Owner("nope", 3) != "" {
		t.Error("negative counter or unknown team")
	}
	r.RoundRobin = false
	if r.Owner("smb", 5) != "cy" {
		t.Error("without round robin the first member owns the lead")
	}
}

func TestAssignDrawsACounterOnlyWhenItChooses(t *testing.T) {
	r := testModel().Routing
	counters := map[string]int64{}
	next := func(team string) (int64, error) { counters[team]++; return counters[team], nil }
	var owners []string
	for range 4 {
		a, err := r.Assign(Facts{}, next)
		if err != nil {
			t.Fatal(err)
		}
		owners = append(owners, a.Owner)
	}
	if strings.Join(owners, ",") != "di,ed,cy,di" || counters["smb"] != 4 {
		t.Errorf("owners %v, counters %v", owners, counters)
	}

	r.Teams["smb"] = []string{"solo"}
	a, err := r.Assign(Facts{}, func(string) (int64, error) { t.Fatal("counter drawn for a team of one"); return 0, nil })
	if err != nil || a.Owner != "solo" {
		t.Errorf("Assign = %+v, %v", a, err)
	}

	r.Teams["smb"] = []string{"a", "b"}
	boom := errors.New("throttled")
	if _, err := r.Assign(Facts{}, func(string) (int64, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("counter error lost: %v", err)
	}
}

func TestRouteWithoutTerritories(t *testing.T) {
	one := Routing{Teams: map[string][]string{"sales": {"sam"}}}
	if a := one.Route(Facts{}); a.Team != "sales" {
		t.Errorf("a single team should take every lead: %+v", a)
	}
	if a := (Routing{}).Route(Facts{}); a.Team != "" || a.Reason == "" {
		t.Errorf("no routing: %+v", a)
	}
}

func TestTriggers(t *testing.T) {
	r := testModel().Routing
	tests := []struct {
		from, to Stage
		want     bool
	}{
		{Lead, MQL, true},
		{StageNone, MQL, true},
		{Subscriber, SQL, true}, // jumped past
		{MQL, SQL, false},       // already routed
		{Lead, Subscriber, false},
		{Lead, Disqualified, false},
		{Disqualified, MQL, true}, // explicit re-qualification
		{Disqualified, Lead, false},
		{Customer, MQL, false}, // an explicit move back is not a new lead
	}
	for _, tc := range tests {
		if got := r.Triggers(tc.from, tc.to); got != tc.want {
			t.Errorf("Triggers(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
	r.OnStage = SQL
	if r.Triggers(Lead, MQL) || !r.Triggers(MQL, SQL) {
		t.Error("on_stage sql")
	}
	if (Routing{}).Triggers(Lead, MQL) {
		t.Error("no teams, no routing")
	}
}

func TestRoutingValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Routing)
		want   string
	}{
		{"unknown team", func(r *Routing) { r.Territories[0].Team = "nope" }, `team "nope" is not in routing.teams`},
		{"bad country", func(r *Routing) { r.Territories[1].Countries = []string{"USA"} }, "ISO 3166-1"},
		{"bad band", func(r *Routing) { r.Territories[0].CompanySizes = []string{"huge"} }, "not a band"},
		{"empty team", func(r *Routing) { r.Teams["smb"] = nil }, "needs 1 to"},
		{"duplicate member", func(r *Routing) { r.Teams["smb"] = []string{"a", "a"} }, "listed twice"},
		{"bad team name", func(r *Routing) { r.Teams["Big Deals"] = []string{"a"} }, "team name"},
		{"two defaults", func(r *Routing) { r.Territories[0] = Territory{Team: "ent", Default: true} }, "default territories"},
		{"no default", func(r *Routing) { r.Territories = r.Territories[:2] }, "no default territory"},
		{"default with conditions", func(r *Routing) { r.Territories[2].Countries = []string{"US"} }, "takes everyone"},
		{"territory with no conditions", func(r *Routing) { r.Territories[1] = Territory{Team: "ent"} }, "needs countries or company_sizes"},
		{"disqualified on_stage", func(r *Routing) { r.OnStage = Disqualified }, "on_stage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testModel()
			tc.mutate(&m.Routing)
			err := m.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestQualifiedEvent(t *testing.T) {
	e := testEngine(t)
	demo := track("d", "Demo Requested", t0, nil)
	s, _ := e.ScoreEvent(State{}, corporateVP(), demo)
	ch, moved := e.NextStage(Lead, corporateVP(), s, &demo, t0)
	if !moved {
		t.Fatal("no move")
	}
	r := e.Model().Routing
	a, _ := r.Assign(corporateVP(), func(string) (int64, error) { return 1, nil })
	ev := e.Qualified("c_1", "ann@acme.example", s, ch, a)
	if ev.Type != QualifiedType || ev.Stage != MQL || ev.PreviousStage != Lead || ev.Score.Total != 80 ||
		ev.Team != "smb" || ev.Owner != "di" || ev.ModelVersion != e.Version() || len(ev.Breakdown) == 0 || ev.ID == "" {
		t.Errorf("event %+v", ev)
	}
	again := e.Qualified("c_1", "ann@acme.example", s, ch, a)
	if again.ID != ev.ID || QualifiedID("c_2", MQL, t0) == ev.ID || QualifiedID("c_1", SQL, t0) == ev.ID {
		t.Error("the id must be stable per (contact, stage, time) and differ otherwise")
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"id"`, `"type":"lead.qualified"`, `"contact_id":"c_1"`, `"stage":"mql"`, `"score":{"total":80`, `"breakdown":[`, `"owner":"di"`, `"team":"smb"`, `"at":"2025-03-03T09:00:00Z"`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("payload lacks %s: %s", key, raw)
		}
	}
}
