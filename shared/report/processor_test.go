package report_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/tracking"
)

type writes struct {
	mu    sync.Mutex
	calls int
	sum   report.Tally
}

func (w *writes) AddReportCounts(_ context.Context, day string, _ int, c report.Counts) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	for k, n := range c {
		w.sum.Add(day, k, n)
	}
	return nil
}

// TestProcessorCountsOnlyCommittedChanges runs the real processor with the
// counter: a contact whose profile write fails is not counted, and is
// counted once when the redelivery commits it; a redelivery of what was
// committed counts nothing.
func TestProcessorCountsOnlyCommittedChanges(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	st := contacttest.New()
	w := &writes{sum: report.Tally{}}
	proc := contact.NewProcessor(st, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now }).
		WithReactors(report.NewCounter(w))
	page := func(id, anon string) tracking.Message {
		return tracking.Message{Type: tracking.TypePage, MessageID: id, AnonymousID: anon, Timestamp: now}
	}
	batch := []contact.Input{
		{ID: "sqs-1", Batch: tracking.Batch{Messages: []tracking.Message{page("m1", "anon-1"), page("m2", "anon-1")}}},
		{ID: "sqs-2", Batch: tracking.Batch{Messages: []tracking.Message{page("m3", "anon-2")}}},
	}
	st.FailSave[contact.AnonymousContactID("anon-2")] = errors.New("throttled")
	out, err := proc.Process(context.Background(), batch)
	if err != nil || len(out.Failed) != 1 {
		t.Fatalf("failed %v err %v, want sqs-2 retried", out.Failed, err)
	}
	day := w.sum["2026-12-07"]
	if w.calls != 1 || day[report.NewContacts] != 1 || day[report.Events] != 2 {
		t.Fatalf("after the first pass: %d writes, %v; want one write counting only anon-1", w.calls, day)
	}
	delete(st.FailSave, contact.AnonymousContactID("anon-2"))
	if _, err := proc.Process(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	day = w.sum["2026-12-07"]
	if w.calls != 2 || day[report.NewContacts] != 2 || day[report.Events] != 3 {
		t.Fatalf("after the redelivery: %d writes, %v; want anon-2 counted once and anon-1 not again", w.calls, day)
	}
}
