package campaign

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Winner metrics.
const (
	MetricOpens       = "unique_human_opens"
	MetricClicks      = "unique_human_clicks"
	MetricConversions = "conversions"
)

// Fallback rules for a test that is not decisive.
const (
	FallbackControl = "control" // the first variant
	FallbackLeader  = "leader"  // the best rate, significant or not
)

// ABTest is how variants are tested: a share of the audience split evenly
// between them, then after Wait the rest gets the winner (Manual: the
// marketer picks it).
type ABTest struct {
	// TestShare is the percentage of the audience in the test (1-100; 100
	// sends every variant to its share and picks no winner).
	TestShare  int     `json:"test_share"`
	Metric     string  `json:"metric"`
	Wait       string  `json:"wait"`
	Confidence float64 `json:"confidence"`
	Fallback   string  `json:"fallback"`
	Manual     bool    `json:"manual,omitempty"`
}

// Validate checks a test's settings.
func (t ABTest) Validate() error {
	var p []string
	if t.TestShare < 1 || t.TestShare > 100 {
		p = append(p, "test_share: a percentage from 1 to 100")
	}
	if !slices.Contains([]string{MetricOpens, MetricClicks, MetricConversions}, t.Metric) {
		p = append(p, `metric: one of "unique_human_opens", "unique_human_clicks", "conversions"`)
	}
	if d, err := time.ParseDuration(t.Wait); err != nil || d < time.Minute || d > 14*24*time.Hour {
		p = append(p, `wait: a duration such as "4h", from 1m to 14 days`)
	}
	if t.Confidence < 0.5 || t.Confidence >= 1 {
		p = append(p, "confidence: from 0.5 to below 1 (0.95 is usual)")
	}
	if t.Fallback != FallbackControl && t.Fallback != FallbackLeader {
		p = append(p, `fallback: "control" or "leader"`)
	}
	if len(p) > 0 {
		return fmt.Errorf("%s", strings.Join(p, "; "))
	}
	return nil
}

// WaitDuration is the time between the test's sends and the decision.
func (t ABTest) WaitDuration() time.Duration {
	d, _ := time.ParseDuration(t.Wait)
	return d
}

// bucket places a contact in [0, 10000) for a campaign: deterministic, so
// a re-read page or a second pass puts everyone where they were, and
// independent between campaigns.
func bucket(campaign, contact string) int {
	h := sha256.Sum256([]byte(campaign + "\x00" + contact))
	return int(binary.BigEndian.Uint64(h[:8]) % 10000)
}

// Assignment is where a contact falls in a campaign's A/B test.
type Assignment struct {
	// InTest: the contact is in the test share and gets Variant now;
	// otherwise they wait for the winner.
	InTest  bool
	Variant int
}

// Assign places a contact: the test share split evenly between the
// variants, deterministically by contact.
func (c Campaign) Assign(contact string) Assignment {
	if len(c.Variants) == 0 || c.Test == nil {
		return Assignment{InTest: true}
	}
	b, share := bucket(c.ID, contact), c.Test.TestShare*100
	if b >= share {
		return Assignment{}
	}
	return Assignment{InTest: true, Variant: b * len(c.Variants) / share}
}

// VariantCount is a variant's test result: recipients sent, and those
// that met the metric.
type VariantCount struct {
	ID         string `json:"id"`
	Recipients int64  `json:"recipients"`
	Successes  int64  `json:"successes"`
}

// Rate is the share that met the metric.
func (v VariantCount) Rate() float64 {
	if v.Recipients == 0 {
		return 0
	}
	return float64(v.Successes) / float64(v.Recipients)
}

// Decision is an A/B test's outcome.
type Decision struct {
	Winner      string  `json:"winner"`
	Leader      string  `json:"leader"`
	RunnerUp    string  `json:"runner_up,omitempty"`
	Z           float64 `json:"z"`
	PValue      float64 `json:"p_value"`
	Significant bool    `json:"significant"`
	// Rule says how the winner was chosen.
	Rule string `json:"rule"`
}

// TwoProportionZ is the pooled two-proportion z-test of a against b: z
// and the two-sided p-value.
func TwoProportionZ(a, b VariantCount) (z, p float64) {
	if a.Recipients == 0 || b.Recipients == 0 {
		return 0, 1
	}
	pool := float64(a.Successes+b.Successes) / float64(a.Recipients+b.Recipients)
	se := math.Sqrt(pool * (1 - pool) * (1/float64(a.Recipients) + 1/float64(b.Recipients)))
	if se == 0 {
		return 0, 1
	}
	z = (a.Rate() - b.Rate()) / se
	return z, math.Erfc(math.Abs(z) / math.Sqrt2)
}

// Decide picks the winner: the leader when it beats the runner-up
// significantly at the test's confidence, else the fallback rule (the
// control, variant one, or the leader anyway). counts are in variant
// order.
func (t ABTest) Decide(counts []VariantCount) (Decision, error) {
	if len(counts) < 2 {
		return Decision{}, fmt.Errorf("a/b decision needs two variants, got %d", len(counts))
	}
	order := make([]int, len(counts))
	for i := range order {
		order[i] = i
	}
	// Best rate first; a tie keeps variant order so the control leads.
	slices.SortStableFunc(order, func(a, b int) int {
		ra, rb := counts[a].Rate(), counts[b].Rate()
		switch {
		case ra > rb:
			return -1
		case ra < rb:
			return 1
		}
		return 0
	})
	lead, second := counts[order[0]], counts[order[1]]
	d := Decision{Leader: lead.ID, RunnerUp: second.ID}
	d.Z, d.PValue = TwoProportionZ(lead, second)
	d.Significant = lead.Rate() > second.Rate() && d.PValue < 1-t.Confidence
	switch {
	case d.Significant:
		d.Winner, d.Rule = lead.ID, fmt.Sprintf("significant at %g", t.Confidence)
	case t.Fallback == FallbackLeader:
		d.Winner, d.Rule = lead.ID, "not significant: fallback leader"
	default:
		d.Winner, d.Rule = counts[0].ID, "not significant: fallback control"
	}
	return d, nil
}
