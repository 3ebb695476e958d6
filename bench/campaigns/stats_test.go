package main

import (
	"slices"
	"testing"
	"time"
)

func TestRateOfCountsCalendarSecondsAndLeavesOutPartialEnds(t *testing.T) {
	base := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	var times []time.Time
	add := func(sec, n int) {
		for i := range n {
			times = append(times, base.Add(time.Duration(sec)*time.Second+time.Duration(i)*time.Millisecond*50))
		}
	}
	add(0, 3)  // partial first second
	add(1, 14) // full
	add(2, 14)
	add(4, 12) // second 3 had none
	add(5, 2)  // partial last second
	slices.Reverse(times)
	r := RateOf(times)
	if want := []int{3, 14, 14, 0, 12, 2}; !slices.Equal(r.PerSecond, want) {
		t.Fatalf("per second %v, want %v", r.PerSecond, want)
	}
	if r.Peak != 14 {
		t.Errorf("peak %d, want 14", r.Peak)
	}
	if r.Sustained != 10 { // (14+14+0+12)/4
		t.Errorf("sustained %v, want 10", r.Sustained)
	}
	if b := r.Buckets(4); !slices.Equal(b, []int{31, 14}) {
		t.Errorf("buckets of 4 s %v, want [31 14]", b)
	}
	if got := RateOf(nil); got.Peak != 0 || len(got.PerSecond) != 0 {
		t.Errorf("no calls: %+v", got)
	}
	if got := RateOf(times[:1]); got.Sustained != 1 || got.Peak != 1 {
		t.Errorf("one call: %+v", got)
	}
}

func TestDeliveriesFindsMissingDuplicateAndStrangers(t *testing.T) {
	got := map[string]int{"a@x.test": 1, "b@x.test": 2, "d@x.test": 1}
	d := Deliveries(got, []string{"A@x.test", "b@x.test", "c@x.test"})
	if d.Once != 1 || !slices.Equal(d.Missing, []string{"c@x.test"}) || !slices.Equal(d.Duplicate, []string{"b@x.test"}) || d.Strangers != 1 {
		t.Fatalf("deliveries %+v", d)
	}
	if d.OK() {
		t.Error("a failed delivery reads OK")
	}
	if ok := Deliveries(map[string]int{"a@x.test": 1}, []string{"a@x.test"}); !ok.OK() || ok.Once != 1 {
		t.Errorf("one each: %+v", ok)
	}
}

func TestAddressIsTheBareLowerCaseAddress(t *testing.T) {
	for in, want := range map[string]string{
		"R000001.Run@Bench.Example":            "r000001.run@bench.example",
		`"Reader" <r000002.run@bench.example>`: "r000002.run@bench.example",
		" r3@bench.example ":                   "r3@bench.example",
	} {
		if got := address(in); got != want {
			t.Errorf("address(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestModelIsBoundByTheSlowerOfFanoutAndSESRate(t *testing.T) {
	// A page of 12 DynamoDB and 51 SQS calls: 100 + 96 + 510 ms.
	m := Model{Recipients: 1_000_000, SESRate: 500, PageSize: 500, PageCalls: map[string]float64{"DynamoDB": 12, "SQS": 51}}
	if got := m.PageTime(); got != 706*time.Millisecond {
		t.Fatalf("page %s, want 706ms", got)
	}
	if got := m.FanoutTime(); got != 2000*706*time.Millisecond {
		t.Errorf("fan-out %s, want 2,000 pages of 706 ms", got)
	}
	if got := m.SendTime(); got != 2000*time.Second {
		t.Errorf("sending %s, want 2,000 s", got)
	}
	if got := m.EndToEnd(); got != 2000*time.Second+706*time.Millisecond {
		t.Errorf("end to end %s, want the SES-bound 2,000 s after the first page", got)
	}
	// A fan-out slower than the rate sets the pace.
	m.SESRate = 1000
	if got := m.EndToEnd(); got != 2001*706*time.Millisecond {
		t.Errorf("end to end at 1,000/s %s, want the fan-out's 2,001 pages", got)
	}
}
