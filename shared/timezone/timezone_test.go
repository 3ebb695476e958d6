package timezone

import (
	"fmt"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		// IANA names are kept as sent.
		{"Europe/Berlin", "Europe/Berlin", true},
		{"America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires", true},
		{"Asia/Kolkata", "Asia/Kolkata", true},
		{"UTC", "UTC", true},
		{"Etc/GMT+3", "Etc/GMT+3", true}, // three hours west: already IANA
		{" Europe/Paris ", "Europe/Paris", true},
		// RudderStack's Date.toString() offsets, and other fixed offsets.
		{"GMT+0000", "UTC", true},
		{"GMT-0000", "UTC", true},
		{"GMT+0200", "Etc/GMT-2", true},
		{"GMT-0500", "Etc/GMT+5", true},
		{"GMT+0530", "UTC+05:30", true},
		{"GMT-0930", "UTC-09:30", true},
		{"GMT+0545", "UTC+05:45", true},
		{"UTC+05:30", "UTC+05:30", true},
		{"UTC-3", "Etc/GMT+3", true},
		{"utc+2", "Etc/GMT-2", true},
		{"+0200", "Etc/GMT-2", true},
		{"-03:00", "Etc/GMT+3", true},
		{"+14:00", "Etc/GMT-14", true},
		{"-12", "Etc/GMT+12", true},
		{"Z", "UTC", true},
		// Not zones: dropped.
		{"", "", false},
		{"NA", "", false},
		{"GMT+2500", "", false},
		{"+15:00", "", false},
		{"-13:00", "", false},
		{"GMT+0510", "", false},
		{"0200", "", false},
		{"Europe/Atlantis", "", false},
		{"europe/berlin-x", "", false},
		{"../../etc/passwd", "", false},
		{"/etc/localtime", "", false},
		{"Local", "", false},
		{"localtime", "", false},
		{"Factory", "", false},
		{"Europe/Berlin<script>", "", false},
		{"Mars/Olympus_Mons_Station_Time_Zone_Number_One_And_Only_Really_Long", "", false},
	}
	for _, tc := range tests {
		got, ok := Normalize(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	// A Cache answers the same, on a miss and on a hit, and so does a nil one.
	var c Cache
	var none *Cache
	for round := range 2 {
		for _, tc := range tests {
			if got, ok := c.Normalize(tc.in); got != tc.want || ok != tc.ok {
				t.Errorf("round %d: Cache.Normalize(%q) = %q, %v; want %q, %v", round, tc.in, got, ok, tc.want, tc.ok)
			}
			if got, ok := none.Normalize(tc.in); got != tc.want || ok != tc.ok {
				t.Errorf("nil Cache.Normalize(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		}
	}
}

// TestCacheIsBounded: clients send anything as a zone, so the cache must
// not grow with what they send.
func TestCacheIsBounded(t *testing.T) {
	var c Cache
	for i := range 3 * maxCached {
		c.Normalize(fmt.Sprintf("Nowhere/Zone_%d", i))
	}
	if n := len(c.m); n == 0 || n > maxCached {
		t.Fatalf("cache holds %d answers; want 1..%d", n, maxCached)
	}
	if got, ok := c.Normalize("Europe/Berlin"); got != "Europe/Berlin" || !ok {
		t.Fatalf("after dropping: %q, %v", got, ok)
	}
}

// TestLoadReadsEveryStoredForm checks the offsets quiet hours see: the Etc
// zones' inverted signs and the fixed zones both land on the right hour.
func TestLoadReadsEveryStoredForm(t *testing.T) {
	noon := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		want string // noon UTC as a wall clock there
	}{
		{"GMT+0200", "14:00"},
		{"Etc/GMT-2", "14:00"},
		{"GMT-0500", "07:00"},
		{"Etc/GMT+5", "07:00"},
		{"UTC+05:30", "17:30"},
		{"GMT+0530", "17:30"},
		{"UTC-09:30", "02:30"},
		{"GMT+0000", "12:00"},
		{"UTC", "12:00"},
		{"Asia/Kolkata", "17:30"},
		{"Europe/Berlin", "13:00"},
	}
	for _, tc := range tests {
		loc, ok := Load(tc.name)
		if !ok {
			t.Errorf("Load(%q) failed", tc.name)
			continue
		}
		if got := noon.In(loc).Format("15:04"); got != tc.want {
			t.Errorf("noon UTC in %q = %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"", "NA", "Local", "Nowhere/Else"} {
		if loc, ok := Load(bad); ok {
			t.Errorf("Load(%q) = %v, want none", bad, loc)
		}
	}
}

// BenchmarkNormalize is the cost ingest adds per message with a time zone
// (see BENCHMARKS.md).
func BenchmarkNormalize(b *testing.B) {
	for _, in := range []string{"Europe/Berlin", "GMT+0530", "NA"} {
		b.Run(in, func(b *testing.B) {
			for b.Loop() {
				Normalize(in)
			}
		})
	}
}
