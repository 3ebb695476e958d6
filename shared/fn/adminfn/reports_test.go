package adminfn

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/auth"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// reportsStore answers the report reads from a tally; the embedded Store
// is nil, so a route that reached for anything else would panic.
type reportsStore struct {
	Store
	tally report.Tally
	mail  dynamo.MailStats
	asked [][]string
	since time.Time
}

func (s *reportsStore) ReportCounts(_ context.Context, days []string) (report.Tally, error) {
	s.asked = append(s.asked, days)
	return s.tally, nil
}

func (s *reportsStore) AddReportCounts(context.Context, string, int, report.Counts) error { return nil }

func (s *reportsStore) MailStatsSince(_ context.Context, since, _ time.Time) (dynamo.MailStats, error) {
	s.since = since
	return s.mail, nil
}

func reportsHandler(st *reportsStore) *Handler {
	h := NewWith(st, []byte("x"), "admin", slog.New(slog.NewJSONHandler(io.Discard, nil)))
	h.verifier = fixedVerifier{auth.Principal{Subject: "u1", Role: catalog.RoleViewer}}
	h.now = func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }
	return h
}

func get(t *testing.T, h *Handler, route string, q map[string]string) (int, string) {
	t.Helper()
	resp, err := h.Handle(context.Background(), httpapi.Request{RouteKey: route,
		Headers: map[string]string{"authorization": "Bearer a.b.c"}, QueryStringParameters: q})
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Body
}

func TestOverviewRouteAnswersDailySeriesAndTheBreaker(t *testing.T) {
	st := &reportsStore{
		tally: report.Tally{
			"2026-12-05": {report.NewContacts: 3, report.Events: 40, report.Sent: 100, report.Bounced: 6},
			"2026-12-07": {report.NewContacts: 1, report.OpensHuman: 2, report.OpensMachine: 5},
		},
		mail: dynamo.MailStats{Sent: 1000, Bounces: 80, Complaints: 1},
	}
	h := reportsHandler(st) // a viewer may read reports
	code, body := get(t, h, "GET /v1/reports/overview", map[string]string{"from": "2026-12-05", "to": "2026-12-07"})
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	var o OverviewView
	if err := json.Unmarshal([]byte(body), &o); err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Days, ",") != "2026-12-05,2026-12-06,2026-12-07" || o.TimeZone != "UTC" {
		t.Fatalf("days %v zone %q", o.Days, o.TimeZone)
	}
	want := map[string][]int64{
		"new_contacts": {3, 0, 1}, "events": {40, 0, 0}, "emails_sent": {100, 0, 0}, "emails_bounced": {6, 0, 0},
		"opens_human": {0, 0, 2}, "opens_machine": {0, 0, 5}, "unsubscribes": {0, 0, 0},
	}
	for name, vals := range want {
		got := o.Series[name]
		if len(got) != 3 || got[0] != vals[0] || got[1] != vals[1] || got[2] != vals[2] {
			t.Errorf("series %s = %v, want %v", name, got, vals)
		}
	}
	if len(o.Series) != len(report.Series) || o.Totals["new_contacts"] != 4 {
		t.Errorf("%d series, totals %v", len(o.Series), o.Totals)
	}
	b := o.Breaker
	// The repo's sending settings: 24-hour window, 5% bounces.
	if b.State != "open" || !strings.Contains(b.Reason, "bounce rate") || b.BounceRate != 0.08 || b.BounceRateThreshold <= 0 || b.WindowHours <= 0 {
		t.Fatalf("breaker %+v, want open on an 8%% bounce rate", b)
	}
	if want := h.now().Add(-time.Duration(b.WindowHours) * time.Hour); !st.since.Equal(want) {
		t.Fatalf("breaker window read from %v, want %v", st.since, want)
	}
}

func TestFunnelRouteAnswersEachStage(t *testing.T) {
	st := &reportsStore{tally: report.Tally{"2026-12-07": {
		report.ReachedCounter(scoring.Subscriber): 4, report.ReachedCounter(scoring.Lead): 2,
		report.VelocityCounter(scoring.Lead, report.Bucket(10)): 2,
	}}}
	code, body := get(t, reportsHandler(st), "GET /v1/reports/funnel", map[string]string{"from": "2026-12-07", "to": "2026-12-07"})
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	var f report.FunnelReport
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	s := f.Stages[0]
	if len(f.Stages) != 6 || s.Stage != "subscriber" || s.Reached != 4 || *s.ConversionToNext != 0.5 ||
		s.SamplesToNext != 2 || *s.MedianHoursToNext < 8 || *s.MedianHoursToNext >= 11.32 {
		t.Fatalf("funnel %s", body)
	}
	if !strings.Contains(body, `"median_hours_to_next":null`) {
		t.Fatalf("a stage without samples must say null: %s", body)
	}
}

func TestReportRoutesRefuseBadRangesInTheErrorShape(t *testing.T) {
	for _, route := range []string{"GET /v1/reports/overview", "GET /v1/reports/funnel"} {
		for _, q := range []map[string]string{
			nil,
			{"from": "2026-12-07"},
			{"from": "07/12/2026", "to": "2026-12-07"},
			{"from": "2026-12-08", "to": "2026-12-07"},
			{"from": "2020-01-01", "to": "2026-12-07"},
		} {
			st := &reportsStore{}
			code, body := get(t, reportsHandler(st), route, q)
			var e struct{ Error httpapi.Error }
			if code != http.StatusBadRequest || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "invalid_range" || e.Error.Message == "" {
				t.Errorf("%s %v: %d %s, want 400 invalid_range", route, q, code, body)
			}
			if len(st.asked) != 0 {
				t.Errorf("%s %v read counters for a refused range", route, q)
			}
		}
	}
}
