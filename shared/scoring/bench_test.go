package scoring

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// benchModel is a 50-rule model shaped like a real one: 40 engagement rules
// over a dozen events (page rules with path filters, some capped, some with
// property filters) and 10 fit rules with regex, in and comparisons.
func benchModel() Model {
	m := Model{HalfLifeDays: 30}
	for i := range 20 {
		r := EngagementRule{ID: fmt.Sprintf("page-%d", i), Event: "page", Points: 1 + i%5,
			Filters: []Condition{{Field: "page.path", Op: OpPrefix, Value: fmt.Sprintf("/section-%d", i)}}}
		if i%2 == 0 {
			r.Cap = &Cap{Points: 20, Period: Week}
		}
		m.Engagement = append(m.Engagement, r)
	}
	for i := range 20 {
		r := EngagementRule{ID: fmt.Sprintf("event-%d", i), Event: fmt.Sprintf("Event %d", i%10), Points: 5 + i}
		if i%3 == 0 {
			r.Filters = []Condition{{Field: "properties.plan", Op: OpIn, Value: []any{"pro", "enterprise"}}}
		}
		if i%4 == 0 {
			r.Cap = &Cap{Points: 50, Period: Month}
		}
		m.Engagement = append(m.Engagement, r)
	}
	m.Fit = []FitRule{
		{ID: "senior", Conditions: []Condition{{Field: "traits.title", Op: OpRegex, Value: `(?i)\b(vp|director|head of|chief)\b`}}, Points: 20},
		{ID: "manager", Conditions: []Condition{{Field: "traits.title", Op: OpContains, Value: "manager"}}, Points: 10},
		{ID: "corporate", Conditions: []Condition{{Field: "company.email_type", Op: OpEq, Value: "corporate"}}, Points: 10},
		{ID: "freemail", Conditions: []Condition{{Field: "company.email_type", Op: OpEq, Value: "freemail"}}, Points: -10},
		{ID: "country", Conditions: []Condition{{Field: "location.country", Op: OpIn, Value: []any{"US", "CA", "GB", "DE", "FR"}}}, Points: 5},
		{ID: "mid", Conditions: []Condition{{Field: "company.size_band", Op: OpIn, Value: []any{"51-200", "201-500", "501-1000"}}}, Points: 15},
		{ID: "big", Conditions: []Condition{{Field: "traits.employees", Op: OpGt, Value: 1000.0}}, Points: 20},
		{ID: "industry", Conditions: []Condition{{Field: "traits.industry", Op: OpIn, Value: []any{"software", "saas"}}}, Points: 5},
		{ID: "engaged", Conditions: []Condition{{Field: "page_views", Op: OpGte, Value: 10.0}}, Points: 5},
		{ID: "tagged", Conditions: []Condition{{Field: "tags", Op: OpEq, Value: "vip"}}, Points: 10},
	}
	return m
}

// BenchmarkScoreEvent scores a realistic stream (page views and track events,
// a third matching no rule) against a contact that already has a state, as
// the processor does for every new event.
func BenchmarkScoreEvent(b *testing.B) {
	e, err := NewEngine(benchModel())
	if err != nil {
		b.Fatal(err)
	}
	f := corporateVP()
	f.Traits["industry"] = "software"
	f.PageViews = 12
	var msgs []tracking.Message
	for i := range 64 {
		at := t0.Add(time.Duration(i) * time.Hour)
		switch i % 3 {
		case 0:
			msgs = append(msgs, page(fmt.Sprintf("p%d", i), fmt.Sprintf("/section-%d/x", i%20), at))
		case 1:
			msgs = append(msgs, track(fmt.Sprintf("t%d", i), fmt.Sprintf("Event %d", i%10), at, map[string]any{"plan": "pro"}))
		default:
			msgs = append(msgs, page(fmt.Sprintf("o%d", i), "/unscored", at))
		}
	}
	s, _ := e.ScoreEvents(State{}, f, msgs[:32])
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.ScoreEvent(s, f, msgs[i%len(msgs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
