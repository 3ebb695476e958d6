package campaign

import (
	"strings"
	"testing"
)

func valid() Campaign {
	return Campaign{ID: "december-newsletter", Name: "December newsletter", Topic: "newsletter",
		Audience: Audience{Segments: []string{"engaged"}, Lists: []string{"vip"}, Exclude: []string{"customers"}},
		Template: "newsletter-dec", Goal: &Goal{Event: "purchase", Window: "72h", RevenueProperty: "amount"},
		Schedule: Schedule{Type: At, At: "2026-12-24T09:00", Zone: "Europe/Berlin"}}
}

func TestValidate(t *testing.T) {
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid campaign: %v", err)
	}
	ab := valid()
	ab.Template = ""
	ab.Variants = []Variant{{ID: "a", Template: "t1"}, {ID: "b", Template: "t2"}}
	ab.Test = &ABTest{TestShare: 20, Metric: MetricClicks, Wait: "4h", Confidence: 0.95, Fallback: FallbackLeader}
	if err := ab.Validate(); err != nil {
		t.Fatalf("valid A/B campaign: %v", err)
	}
	cases := []struct {
		name string
		edit func(*Campaign)
		want string
	}{
		{"bad id", func(c *Campaign) { c.ID = "Dec 2026" }, "id:"},
		{"no audience", func(c *Campaign) { c.Audience = Audience{} }, "at least one segment or list"},
		{"included and excluded", func(c *Campaign) { c.Audience.Exclude = []string{"engaged"} }, "both included and excluded"},
		{"no content", func(c *Campaign) { c.Template = "" }, "template (or variants) is required"},
		{"both", func(c *Campaign) { c.Variants = ab.Variants }, "give one or the other"},
		{"one variant", func(c *Campaign) { *c = ab; c.Variants = c.Variants[:1] }, "two to four"},
		{"five variants", func(c *Campaign) {
			*c = ab
			c.Variants = []Variant{{ID: "a", Template: "t"}, {ID: "b", Template: "t"}, {ID: "c", Template: "t"}, {ID: "d", Template: "t"}, {ID: "e", Template: "t"}}
		}, "two to four"},
		{"variant ids repeat", func(c *Campaign) { *c = ab; c.Variants[1].ID = "a" }, "unique id"},
		{"variants without test", func(c *Campaign) { *c = ab; c.Test = nil }, "ab_test is required"},
		{"bad metric", func(c *Campaign) { *c = ab; t := *c.Test; t.Metric = "opens"; c.Test = &t }, "metric:"},
		{"bad confidence", func(c *Campaign) { *c = ab; t := *c.Test; t.Confidence = 95; c.Test = &t }, "confidence:"},
		{"bad fallback", func(c *Campaign) { *c = ab; t := *c.Test; t.Fallback = "random"; c.Test = &t }, "fallback:"},
		{"test without variants", func(c *Campaign) { c.Test = ab.Test }, "ab_test needs variants"},
		{"no topic", func(c *Campaign) { c.Topic = "" }, "topic is required"},
		{"goal window", func(c *Campaign) { c.Goal.Window = "forever" }, "goal.window"},
		{"schedule", func(c *Campaign) { c.Schedule.Zone = "" }, "schedule: zone"},
		{"quiet hours opt-out off recipient time", func(c *Campaign) { c.IgnoreQuietHours = true }, "ignore_quiet_hours"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
