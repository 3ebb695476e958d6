package campaign

import (
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRecurringOccurrences(t *testing.T) {
	cases := []struct {
		name     string
		s        Schedule
		from, to string
		want     []string // UTC
	}{
		{"first Monday 09:00 Berlin, winter and summer",
			Schedule{Type: Recurring, Cron: "0 9 ? * MON#1 *", Zone: "Europe/Berlin"},
			"2027-02-01T00:00:00Z", "2027-05-01T00:00:00Z",
			[]string{"2027-02-01T08:00:00Z", "2027-03-01T08:00:00Z", "2027-04-05T07:00:00Z"}},
		{"daily 02:30 Berlin across spring forward (skipped time moves to 03:30 CEST)",
			Schedule{Type: Recurring, Cron: "30 2 * * ? *", Zone: "Europe/Berlin"},
			"2027-03-27T00:00:00Z", "2027-03-30T00:00:00Z",
			[]string{"2027-03-27T01:30:00Z", "2027-03-28T01:30:00Z", "2027-03-29T00:30:00Z"}},
		{"daily 02:30 Berlin across fall back (repeated time fires once, the first)",
			Schedule{Type: Recurring, Cron: "30 2 * * ? *", Zone: "Europe/Berlin"},
			"2027-10-30T00:00:00Z", "2027-11-01T00:00:00Z",
			[]string{"2027-10-30T00:30:00Z", "2027-10-31T00:30:00Z"}},
		{"New York 09:00 weekdays across US DST start",
			Schedule{Type: Recurring, Cron: "0 9 ? * MON-FRI *", Zone: "America/New_York"},
			"2027-03-12T00:00:00Z", "2027-03-16T00:00:00Z",
			[]string{"2027-03-12T14:00:00Z", "2027-03-15T13:00:00Z"}},
		{"last day of month, with end date",
			Schedule{Type: Recurring, Cron: "0 12 L * ? *", Zone: "UTC", End: "2027-03-31T11:00"},
			"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z",
			[]string{"2027-01-31T12:00:00Z", "2027-02-28T12:00:00Z"}},
		{"every 15 minutes in one hour on a list of days",
			Schedule{Type: Recurring, Cron: "*/15 10 1,15 JAN ? 2027", Zone: "UTC"},
			"2026-12-01T00:00:00Z", "2027-12-31T00:00:00Z",
			[]string{"2027-01-01T10:00:00Z", "2027-01-01T10:15:00Z", "2027-01-01T10:30:00Z", "2027-01-01T10:45:00Z",
				"2027-01-15T10:00:00Z", "2027-01-15T10:15:00Z", "2027-01-15T10:30:00Z", "2027-01-15T10:45:00Z"}},
		{"Sydney 09:00 Sundays across its DST end (4 April 03:00)",
			Schedule{Type: Recurring, Cron: "0 9 ? * SUN *", Zone: "Australia/Sydney"},
			"2027-03-27T00:00:00Z", "2027-04-12T00:00:00Z",
			[]string{"2027-03-27T22:00:00Z", "2027-04-03T23:00:00Z", "2027-04-10T23:00:00Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.s.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			occ, err := tc.s.Occurrences(utc(tc.from), utc(tc.to), time.Time{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range occ {
				got = append(got, o.At.Format(time.RFC3339))
				if o.ID != OccurrenceID(o.At) {
					t.Errorf("id %s for %s", o.ID, o.At)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestAtAndNow(t *testing.T) {
	cases := []struct {
		name string
		s    Schedule
		want string
	}{
		{"Berlin winter", Schedule{Type: At, At: "2026-12-24T09:00", Zone: "Europe/Berlin"}, "2026-12-24T08:00:00Z"},
		{"Berlin summer", Schedule{Type: At, At: "2027-07-01T09:00", Zone: "Europe/Berlin"}, "2027-07-01T07:00:00Z"},
		{"skipped local time", Schedule{Type: At, At: "2027-03-14T02:30", Zone: "America/New_York"}, "2027-03-14T07:30:00Z"},
		{"repeated local time takes the first", Schedule{Type: At, At: "2027-11-07T01:30", Zone: "America/New_York"}, "2027-11-07T05:30:00Z"},
		{"Kolkata half hour", Schedule{Type: At, At: "2027-01-10T09:00", Zone: "Asia/Kolkata"}, "2027-01-10T03:30:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.AtTime()
			if err != nil {
				t.Fatal(err)
			}
			if got.Format(time.RFC3339) != tc.want {
				t.Errorf("got %s want %s", got.Format(time.RFC3339), tc.want)
			}
			occ, _ := tc.s.Occurrences(got.Add(-time.Hour), got.Add(time.Hour), time.Time{}, nil)
			if len(occ) != 1 || !occ[0].At.Equal(got) {
				t.Errorf("occurrences %v", occ)
			}
		})
	}
	now := Schedule{Type: Now}
	started := utc("2027-01-01T10:00:42Z")
	occ, _ := now.Occurrences(started.Add(-time.Hour), started.Add(time.Hour), started, nil)
	if len(occ) != 1 || occ[0].ID != "20270101T1000Z" {
		t.Errorf("now: %v", occ)
	}
	if occ, _ := now.Occurrences(started.Add(-time.Hour), started.Add(time.Hour), time.Time{}, nil); len(occ) != 0 {
		t.Errorf("now, not started: %v", occ)
	}
}

func TestRecipientTimeWaves(t *testing.T) {
	cases := []struct {
		name  string
		s     Schedule
		zones []string
		want  []string // "instant zones"
	}{
		{"winter day: Berlin and Paris share a wave, New York later, unknown zone falls to default",
			Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "09:00", DefaultZone: "Europe/London"},
			[]string{"Europe/Berlin", "Europe/Paris", "America/New_York", "Not/AZone", ""},
			[]string{"2027-01-15T08:00:00Z Europe/Berlin,Europe/Paris", "2027-01-15T09:00:00Z Europe/London", "2027-01-15T14:00:00Z America/New_York"}},
		{"between the US and EU DST changes the gap is 5 hours, not 6",
			Schedule{Type: RecipientTime, Date: "2027-03-20", Time: "09:00", DefaultZone: "Europe/Berlin"},
			[]string{"America/New_York", "America/Chicago"},
			[]string{"2027-03-20T08:00:00Z Europe/Berlin", "2027-03-20T13:00:00Z America/New_York", "2027-03-20T14:00:00Z America/Chicago"}},
		{"on the night Berlin skips 02:30 the wave moves to 03:30 CEST",
			Schedule{Type: RecipientTime, Date: "2027-03-28", Time: "02:30", DefaultZone: "Europe/Berlin"},
			[]string{"Asia/Tokyo"},
			[]string{"2027-03-27T17:30:00Z Asia/Tokyo", "2027-03-28T01:30:00Z Europe/Berlin"}},
		{"offset zones from clients load",
			Schedule{Type: RecipientTime, Date: "2027-06-01", Time: "10:00", DefaultZone: "UTC"},
			[]string{"Etc/GMT-2", "UTC+05:30"},
			[]string{"2027-06-01T04:30:00Z UTC+05:30", "2027-06-01T08:00:00Z Etc/GMT-2", "2027-06-01T10:00:00Z UTC"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			waves, err := tc.s.Waves(tc.zones)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range waves {
				got = append(got, w.At.Format(time.RFC3339)+" "+strings.Join(w.Zones, ","))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
			occ, err := tc.s.Occurrences(waves[0].At, waves[len(waves)-1].At.Add(time.Minute), time.Time{}, tc.zones)
			if err != nil || len(occ) != 1 {
				t.Fatalf("occurrences %v %v", occ, err)
			}
			first, _ := tc.s.WaveTime(EarliestZone)
			if !occ[0].At.Equal(first) || occ[0].At.After(waves[0].At) {
				t.Errorf("occurrence fires at %s, want the UTC+14 wave %s (before every zone)", occ[0].At, first)
			}
		})
	}
}

func TestExpressions(t *testing.T) {
	cases := []struct {
		s          Schedule
		expr, zone string
	}{
		{Schedule{Type: At, At: "2026-12-24T09:00", Zone: "Europe/Berlin"}, "at(2026-12-24T09:00:00)", "Europe/Berlin"},
		{Schedule{Type: Recurring, Cron: "cron(0 9 ? * MON#1 *)", Zone: "Europe/Berlin"}, "cron(0 9 ? * MON#1 *)", "Europe/Berlin"},
		{Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "09:00", DefaultZone: "UTC"}, "at(2027-01-14T19:00:00)", "UTC"},
	}
	for _, tc := range cases {
		e, z, err := tc.s.Expression()
		if err != nil || e != tc.expr || z != tc.zone {
			t.Errorf("%+v: got %s %s %v", tc.s, e, z, err)
		}
	}
	if _, _, err := (Schedule{Type: Now}).Expression(); err == nil {
		t.Error("now has no expression")
	}
}

func TestScheduleValidate(t *testing.T) {
	cases := []struct {
		s    Schedule
		want string
	}{
		{Schedule{Type: "weekly"}, "type: one of"},
		{Schedule{Type: At, At: "2026-12-24 09:00", Zone: "Europe/Berlin"}, "at: a local time"},
		{Schedule{Type: At, At: "2026-12-24T09:00", Zone: "Mars/Olympus"}, "not a time zone"},
		{Schedule{Type: At, At: "2026-12-24T09:00"}, "zone: a zone is required"},
		{Schedule{Type: Now, Zone: "UTC"}, "zone does not apply"},
		{Schedule{Type: Recurring, Cron: "0 9 * * *", Zone: "UTC"}, "want 6 fields"},
		{Schedule{Type: Recurring, Cron: "0 9 * * MON *", Zone: "UTC"}, "must be ?"},
		{Schedule{Type: Recurring, Cron: "0 25 * * ? *", Zone: "UTC"}, "hours"},
		{Schedule{Type: Recurring, Cron: "0 9 ? * MON#6 *", Zone: "UTC"}, "1 to 5"},
		{Schedule{Type: Recurring, Cron: "0 9 ? * MON *", Zone: "UTC", End: "soon"}, "end:"},
		{Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "25:00", DefaultZone: "UTC"}, "time:"},
		{Schedule{Type: RecipientTime, Date: "2027-01-15", Time: "09:00"}, "default_zone"},
	}
	for _, tc := range cases {
		err := tc.s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.s, err, tc.want)
		}
	}
}

func TestAtWithSeconds(t *testing.T) {
	s := Schedule{Type: At, At: "2027-01-10T09:00:30", Zone: "Europe/Berlin"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	at, err := s.AtTime()
	if err != nil || at.Format(time.RFC3339) != "2027-01-10T08:00:30Z" {
		t.Fatalf("%s %v", at, err)
	}
	if e, _, _ := s.Expression(); e != "at(2027-01-10T09:00:30)" {
		t.Fatalf("expression %s", e)
	}
	// The occurrence keeps minute precision.
	occ, _ := s.Occurrences(at.Add(-time.Minute), at.Add(time.Minute), time.Time{}, nil)
	if len(occ) != 1 || occ[0].ID != "20270110T0800Z" {
		t.Fatalf("%+v", occ)
	}
}
