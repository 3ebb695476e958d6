package scoring

import (
	"math"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/enrich"
	"github.com/leadflow/leadflow/shared/tracking"
)

// t0 is a Monday, so week boundaries in tests are easy to read.
var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func intp(n int) *int { return &n }

// testModel is a small model that exercises every rule kind.
func testModel() Model {
	return Model{
		HalfLifeDays: 30,
		Engagement: []EngagementRule{
			{ID: "pricing", Event: "page", Filters: []Condition{{Field: "page.path", Op: OpPrefix, Value: "/pricing"}},
				Points: 10, Cap: &Cap{Points: 20, Period: Week}},
			{ID: "blog", Event: "page", Filters: []Condition{{Field: "page.path", Op: OpPrefix, Value: "/blog/"}},
				Points: 3, Cap: &Cap{Points: 5, Period: Day}},
			{ID: "careers", Event: "page", Filters: []Condition{{Field: "page.path", Op: OpPrefix, Value: "/careers"}}, Points: -10},
			{ID: "demo", Event: "Demo Requested", Points: 30},
			{ID: "webinar", Event: "Webinar Attended", Points: 20, Cap: &Cap{Points: 20, Period: Month}},
			{ID: "unsub", Event: "Unsubscribed", Points: -20, Description: "Unsubscribed"},
			{ID: "enterprise-plan", Event: "Plan Viewed", Filters: []Condition{{Field: "properties.plan", Op: OpEq, Value: "enterprise"}}, Points: 7},
			{ID: "phone", Event: "identify", Filters: []Condition{{Field: "traits.phone", Op: OpExists}}, Points: 5},
		},
		Fit: []FitRule{
			{ID: "senior", Conditions: []Condition{{Field: "traits.title", Op: OpRegex, Value: `(?i)\b(vp|director)\b`}}, Points: 20, Description: "Senior title"},
			{ID: "corporate", Conditions: []Condition{{Field: "company.email_type", Op: OpEq, Value: "corporate"}}, Points: 10},
			{ID: "freemail", Conditions: []Condition{{Field: "company.email_type", Op: OpEq, Value: "freemail"}}, Points: -10},
			{ID: "country", Conditions: []Condition{{Field: "location.country", Op: OpIn, Value: []any{"US", "GB"}}}, Points: 5},
			{ID: "size", Conditions: []Condition{{Field: "company.size_band", Op: OpIn, Value: []any{"201-500", "501-1000"}}}, Points: 15},
		},
		Stages: StageRules{Transitions: []Transition{
			{ID: "sub", To: Subscriber, When: Criteria{Profile: []Condition{{Field: "status", Op: OpEq, Value: "subscribed"}}}},
			{ID: "lead-email", To: Lead, When: Criteria{MinTotal: intp(10), Profile: []Condition{{Field: "email", Op: OpExists}}}},
			{ID: "mql-score", To: MQL, When: Criteria{MinTotal: intp(60), Profile: []Condition{{Field: "email", Op: OpExists}}}},
			{ID: "mql-demo", To: MQL, When: Criteria{Event: "Demo Requested"}},
			{ID: "mql-form", To: MQL, When: Criteria{Event: "Form Submitted", Filters: []Condition{{Field: "properties.form_id", Op: OpEq, Value: "demo"}}}},
			{ID: "sql-meeting", To: SQL, When: Criteria{Event: "Meeting Booked", MinFit: intp(10)}},
			{ID: "won", To: Customer, When: Criteria{Event: "Order Completed"}},
			{ID: "dq", To: Disqualified, When: Criteria{Profile: []Condition{{Field: "tags", Op: OpEq, Value: "competitor"}}}},
		}},
		Routing: Routing{
			RoundRobin: true,
			Teams:      map[string][]string{"ent": {"ava", "ben"}, "smb": {"cy", "di", "ed"}},
			Territories: []Territory{
				{Name: "big", Team: "ent", CompanySizes: []string{"1001-5000", "5001-10000", "10001+"}},
				{Team: "ent", Countries: []string{"US"}, CompanySizes: []string{"501-1000"}},
				{Team: "smb", Default: true},
			},
		},
	}
}

func testEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine(testModel())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func page(id, path string, at time.Time) tracking.Message {
	return tracking.Message{Type: tracking.TypePage, MessageID: id, Timestamp: at,
		Context: tracking.Context{Page: &tracking.Page{Path: path, URL: "https://leadflow.example" + path}}}
}

func track(id, event string, at time.Time, props map[string]any) tracking.Message {
	return tracking.Message{Type: tracking.TypeTrack, MessageID: id, Event: event, Timestamp: at, Properties: props}
}

func corporateVP() Facts {
	return Facts{
		Email:    "ann@acme.example",
		Traits:   map[string]any{"title": "VP Marketing", "employees": 300.0},
		Company:  &enrich.Company{Domain: "acme.example", EmailType: "corporate"},
		Location: &tracking.Location{Country: "US"},
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
