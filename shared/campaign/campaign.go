// Package campaign is the domain of broadcast campaigns: the definition a
// marketer writes (audience, content or A/B variants, topic, sender, goal,
// schedule), the lifecycle and approval rules, the schedule's occurrences
// and recipient-time-zone waves, the A/B split and its statistics, and the
// fan-out that turns a firing into send requests for the mail pipeline,
// page by page, from checkpoints.
//
// A campaign's definition is a registry kind (definitions/campaigns/ and
// the admin API, one validator); its state (draft, scheduled, sending...)
// is kept apart, because actions change it, not edits.
package campaign

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lazyregexp"
	"github.com/leadflow/leadflow/shared/timezone"
)

// Campaign is a campaign's definition.
type Campaign struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Audience is who receives it, read when the send starts.
	Audience Audience `json:"audience"`
	// Template is the content when there is no A/B test.
	Template string `json:"template,omitempty"`
	// Variants are an A/B test's two to four contents.
	Variants []Variant `json:"variants,omitempty"`
	// Test configures the A/B test (with Variants).
	Test *ABTest `json:"ab_test,omitempty"`
	// Topic is the subscription topic: contacts who switched it off are
	// skipped by the pipeline (the templates carry the same topic).
	Topic string `json:"topic"`
	// Sender overrides the sending settings' From name, for the record; the
	// template's from_name is what the pipeline uses.
	Sender string `json:"sender,omitempty"`
	Goal   *Goal  `json:"goal,omitempty"`
	// Schedule says when it goes out.
	Schedule Schedule `json:"schedule"`
	// IgnoreQuietHours lets recipient-time sends arrive during quiet hours
	// (a 07:00 local send when quiet hours end at 08:00).
	IgnoreQuietHours bool `json:"ignore_quiet_hours,omitempty"`
}

// Audience is segments and static lists, minus exclusion segments.
type Audience struct {
	Segments []string `json:"segments,omitempty"`
	Lists    []string `json:"lists,omitempty"`
	Exclude  []string `json:"exclude_segments,omitempty"`
}

// Source is one member index the fan-out pages through.
type Source struct {
	Kind string `json:"kind"` // "segment" or "list"
	ID   string `json:"id"`
}

// Sources are the audience's member indexes in a fixed order: the
// fan-out's checkpoint names one by its position.
func (a Audience) Sources() []Source {
	var out []Source
	for _, s := range a.Segments {
		out = append(out, Source{Kind: "segment", ID: s})
	}
	for _, l := range a.Lists {
		out = append(out, Source{Kind: "list", ID: l})
	}
	return out
}

// Variant is one content of an A/B test.
type Variant struct {
	ID       string `json:"id"`
	Template string `json:"template"`
	Label    string `json:"label,omitempty"`
}

// Goal is the conversion a campaign is measured by: the goal event
// within the window after a human open or click, and its revenue.
type Goal struct {
	Event           string `json:"event"`
	Window          string `json:"window"`
	RevenueProperty string `json:"revenue_property,omitempty"`
}

// WindowDuration is the attribution window.
func (g Goal) WindowDuration() time.Duration {
	d, _ := time.ParseDuration(g.Window)
	return d
}

var idPattern = lazyregexp.New(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Validate implements definition.Validator: the one check of the repo
// files, the admin API and the CLI.
func (c Campaign) Validate() error {
	var p []string
	add := func(f string, a ...any) { p = append(p, fmt.Sprintf(f, a...)) }
	if !idPattern.MatchString(c.ID) {
		add("id: lower-case letters, digits and -, at most 63")
	}
	if strings.TrimSpace(c.Name) == "" {
		add("name is required")
	}
	if len(c.Audience.Segments)+len(c.Audience.Lists) == 0 {
		add("audience: at least one segment or list")
	}
	seen := map[string]bool{}
	for _, s := range c.Audience.Sources() {
		if s.ID == "" {
			add("audience: empty %s id", s.Kind)
		}
		if seen[s.Kind+"/"+s.ID] {
			add("audience: %s %q twice", s.Kind, s.ID)
		}
		seen[s.Kind+"/"+s.ID] = true
	}
	for _, s := range c.Audience.Exclude {
		if s == "" {
			add("audience: empty exclusion segment id")
		}
		if slices.Contains(c.Audience.Segments, s) {
			add("audience: segment %q both included and excluded", s)
		}
	}
	switch {
	case c.Template != "" && len(c.Variants) > 0:
		add("template and variants: give one or the other")
	case c.Template == "" && len(c.Variants) == 0:
		add("template (or variants) is required")
	case len(c.Variants) > 0:
		if len(c.Variants) < 2 || len(c.Variants) > 4 {
			add("variants: two to four")
		}
		ids := map[string]bool{}
		for i, v := range c.Variants {
			if !idPattern.MatchString(v.ID) || ids[v.ID] {
				add("variants[%d].id: a unique id of lower-case letters, digits and -", i)
			}
			ids[v.ID] = true
			if v.Template == "" {
				add("variants[%d].template is required", i)
			}
		}
		if c.Test == nil {
			add("ab_test is required with variants")
		} else if err := c.Test.Validate(); err != nil {
			add("ab_test: %v", err)
		}
	case c.Test != nil:
		add("ab_test needs variants")
	}
	if c.Topic == "" {
		add("topic is required (marketing mail belongs to a subscription topic)")
	}
	if g := c.Goal; g != nil {
		if g.Event == "" {
			add("goal.event is required")
		}
		if d, err := time.ParseDuration(g.Window); err != nil || d <= 0 || d > 90*24*time.Hour {
			add("goal.window: a duration such as \"72h\", at most 90 days")
		}
	}
	if err := c.Schedule.Validate(); err != nil {
		add("schedule: %v", err)
	}
	if c.IgnoreQuietHours && c.Schedule.Type != RecipientTime {
		add("ignore_quiet_hours applies to recipient_time schedules only")
	}
	if len(p) > 0 {
		return fmt.Errorf("%s", strings.Join(p, "; "))
	}
	return nil
}

// Templates are the templates the campaign sends.
func (c Campaign) Templates() []string {
	if c.Template != "" {
		return []string{c.Template}
	}
	var out []string
	for _, v := range c.Variants {
		out = append(out, v.Template)
	}
	return out
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("a zone is required")
	}
	loc, ok := timezone.Load(name)
	if !ok {
		return nil, fmt.Errorf("%q is not a time zone", name)
	}
	return loc, nil
}
