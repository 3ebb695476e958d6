package campaign

import (
	"fmt"
	"math"
	"testing"
)

func TestAssignSplitsEvenlyAndDeterministically(t *testing.T) {
	c := Campaign{ID: "launch", Variants: []Variant{{ID: "a"}, {ID: "b"}, {ID: "c"}}, Test: &ABTest{TestShare: 30}}
	counts := map[string]int{}
	const n = 60000
	for i := range n {
		id := fmt.Sprintf("contact-%d", i)
		a := c.Assign(id)
		if a != c.Assign(id) {
			t.Fatalf("%s assigned twice differently", id)
		}
		if a.InTest {
			counts[c.Variants[a.Variant].ID]++
		} else {
			counts["rest"]++
		}
	}
	// 30% in the test, 10% per variant, within 1 percentage point.
	for k, want := range map[string]float64{"a": 0.1, "b": 0.1, "c": 0.1, "rest": 0.7} {
		if got := float64(counts[k]) / n; math.Abs(got-want) > 0.01 {
			t.Errorf("%s: share %.3f, want %.2f", k, got, want)
		}
	}
	other := c
	other.ID = "other"
	same := 0
	for i := range 1000 {
		id := fmt.Sprintf("contact-%d", i)
		if c.Assign(id) == other.Assign(id) {
			same++
		}
	}
	if same > 800 {
		t.Errorf("two campaigns split alike for %d of 1000 contacts", same)
	}
}

func TestTwoProportionZ(t *testing.T) {
	cases := []struct {
		a, b VariantCount
		z, p float64
	}{
		// 200/1000 vs 150/1000: pooled 0.175, se 0.01699, z 2.942, p 0.00326
		{VariantCount{Recipients: 1000, Successes: 200}, VariantCount{Recipients: 1000, Successes: 150}, 2.9429, 0.00325},
		{VariantCount{Recipients: 100, Successes: 10}, VariantCount{Recipients: 100, Successes: 10}, 0, 1},
		{VariantCount{Recipients: 0}, VariantCount{Recipients: 100, Successes: 10}, 0, 1},
		{VariantCount{Recipients: 50, Successes: 0}, VariantCount{Recipients: 50, Successes: 0}, 0, 1},
	}
	for _, tc := range cases {
		z, p := TwoProportionZ(tc.a, tc.b)
		if math.Abs(z-tc.z) > 0.001 || math.Abs(p-tc.p) > 0.0001 {
			t.Errorf("%+v vs %+v: z %.4f p %.5f, want %.4f %.5f", tc.a, tc.b, z, p, tc.z, tc.p)
		}
	}
}

func TestDecide(t *testing.T) {
	v := func(id string, n, s int64) VariantCount { return VariantCount{ID: id, Recipients: n, Successes: s} }
	cases := []struct {
		name   string
		test   ABTest
		counts []VariantCount
		winner string
		sig    bool
	}{
		{"clear winner", ABTest{Confidence: 0.95, Fallback: FallbackControl}, []VariantCount{v("a", 1000, 150), v("b", 1000, 200)}, "b", true},
		{"not significant: control", ABTest{Confidence: 0.95, Fallback: FallbackControl}, []VariantCount{v("a", 100, 10), v("b", 100, 13)}, "a", false},
		{"not significant: leader", ABTest{Confidence: 0.95, Fallback: FallbackLeader}, []VariantCount{v("a", 100, 10), v("b", 100, 13)}, "b", false},
		{"significant at 90 but not 99", ABTest{Confidence: 0.99, Fallback: FallbackControl}, []VariantCount{v("a", 1000, 100), v("b", 1000, 125)}, "a", false},
		{"same data at 90", ABTest{Confidence: 0.90, Fallback: FallbackControl}, []VariantCount{v("a", 1000, 100), v("b", 1000, 125)}, "b", true},
		{"tie keeps the control", ABTest{Confidence: 0.95, Fallback: FallbackLeader}, []VariantCount{v("a", 100, 10), v("b", 100, 10)}, "a", false},
		{"four variants: leader vs runner-up", ABTest{Confidence: 0.95, Fallback: FallbackControl}, []VariantCount{v("a", 2000, 100), v("b", 2000, 300), v("c", 2000, 120), v("d", 2000, 290)}, "a", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.test.Decide(tc.counts)
			if err != nil {
				t.Fatal(err)
			}
			if d.Winner != tc.winner || d.Significant != tc.sig {
				t.Errorf("got %+v, want winner %s significant %v", d, tc.winner, tc.sig)
			}
		})
	}
	if _, err := (ABTest{}).Decide([]VariantCount{v("a", 1, 1)}); err == nil {
		t.Error("one variant decided")
	}
}
