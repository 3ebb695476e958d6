package campaign

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type memScheduler struct {
	plans   map[string]SchedulePlan
	deleted []string
}

func (m *memScheduler) PutSchedule(_ context.Context, id string, p SchedulePlan) error {
	m.plans[id] = p
	return nil
}
func (m *memScheduler) DeleteSchedule(_ context.Context, id string) error {
	delete(m.plans, id)
	m.deleted = append(m.deleted, id)
	return nil
}

func TestServiceArmsAndDisarmsSchedules(t *testing.T) {
	w := newWorld()
	c := plain() // an "at" schedule in Berlin
	setup(w, c)
	delete(w.states, c.ID) // never acted on
	sch := &memScheduler{plans: map[string]SchedulePlan{}}
	f := w.fanout()
	f.Schedules = sch
	required := true
	svc := &Service{Store: w, Definitions: w, Scheduler: sch, Fanout: f, Now: func() time.Time { return w.now },
		ApprovalRequired: func(context.Context) (bool, error) { return required, nil }}
	ctx := context.Background()
	if st, err := svc.Edited(ctx, c.ID, "h1", "mara"); err != nil || st.Status != Draft {
		t.Fatalf("edit: %+v %v", st, err)
	}
	st, err := svc.Schedule(ctx, c.ID, "mara")
	if err != nil || st.Status != AwaitingApproval || len(sch.plans) != 0 {
		t.Fatalf("schedule awaiting approval: %+v %v plans %v", st, err, sch.plans)
	}
	if _, err := svc.Approve(ctx, c.ID, "mara"); !errors.Is(err, ErrSelfApproval) {
		t.Fatalf("self approval: %v", err)
	}
	if st, err = svc.Approve(ctx, c.ID, "ada"); err != nil || st.Status != Scheduled {
		t.Fatalf("approve: %+v %v", st, err)
	}
	p := sch.plans[c.ID]
	if p.Expression != "at(2026-12-24T09:00:00)" || p.Zone != "Europe/Berlin" || p.Message.Kind != ChunkFire || p.Message.Occurrence != ScheduledTimeField {
		t.Fatalf("plan %+v", p)
	}
	// A change after approval: back to waiting, schedule removed.
	if st, err = svc.Edited(ctx, c.ID, "h2", "mara"); err != nil || st.Status != AwaitingApproval || len(sch.plans) != 0 {
		t.Fatalf("edit after approval: %+v %v plans %v", st, err, sch.plans)
	}
	if st, err = svc.Approve(ctx, c.ID, "ada"); err != nil || len(sch.plans) != 1 {
		t.Fatalf("re-approve: %+v %v", st, err)
	}
	// The Scheduler fires with its scheduled time.
	if err := f.Handle(ctx, Chunk{Kind: ChunkFire, Campaign: c.ID, Occurrence: "2026-12-24T08:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	if got := w.recipients(t, "20261224T0800Z"); len(got) != 72 {
		t.Fatalf("%d recipients", len(got))
	}
	if st, _ = svc.State(ctx, c.ID); st.Status != Sent || len(sch.plans) != 0 {
		t.Fatalf("after sending: %+v plans %v", st, sch.plans)
	}
	if err := svc.CheckEdit(ctx, c.ID); !errors.Is(err, ErrLocked) {
		t.Fatalf("edit after send: %v", err)
	}
	if _, err := svc.Cancel(ctx, c.ID); !errors.Is(err, ErrTransition) {
		t.Fatalf("cancel a sent campaign: %v", err)
	}
}

func TestServiceSendNowAndCancel(t *testing.T) {
	w := newWorld()
	c := plain()
	c.Schedule = Schedule{Type: Now}
	setup(w, c)
	delete(w.states, c.ID)
	sch := &memScheduler{plans: map[string]SchedulePlan{}}
	f := w.fanout()
	svc := &Service{Store: w, Definitions: w, Scheduler: sch, Fanout: f, Now: func() time.Time { return w.now }}
	ctx := context.Background()
	st, err := svc.Schedule(ctx, c.ID, "mara")
	if err != nil || st.Status != Scheduled || len(sch.plans) != 0 {
		t.Fatalf("schedule now: %+v %v", st, err)
	}
	if st, _ = svc.State(ctx, c.ID); st.Status != Sending || st.Occurrence != OccurrenceID(w.now) {
		t.Fatalf("after scheduling now: %+v", st)
	}
	w.drain(t, f, 2)
	if st, err = svc.Cancel(ctx, c.ID); err != nil || st.Status != Cancelled {
		t.Fatalf("cancel: %+v %v", st, err)
	}
	n := len(w.sends)
	w.drain(t, f, 1000)
	if len(w.sends) != n || n == 0 {
		t.Fatalf("sends after cancel: %d → %d", n, len(w.sends))
	}
	if len(sch.deleted) != 1 {
		t.Errorf("schedule not removed on cancel: %v", sch.deleted)
	}
}

func TestRepoCampaignFiresWithoutState(t *testing.T) {
	w := newWorld()
	c := plain()
	setup(w, c)
	delete(w.states, c.ID)
	f := w.fanout()
	if err := f.Handle(context.Background(), Chunk{Kind: ChunkFire, Campaign: c.ID, Occurrence: "2026-12-24T08:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	w.drain(t, f, 1000)
	if st := w.states[c.ID]; st.Status != Sent || st.Author != "repo" {
		t.Fatalf("state %+v", st)
	}
	if err := f.Handle(context.Background(), Chunk{Kind: ChunkFire, Campaign: "nope", Occurrence: "2026-12-24T08:00:00Z"}); err == nil {
		t.Fatal("an unknown campaign fired")
	}
}

func TestPlanKeepsTheSchedulerPlaceholder(t *testing.T) {
	p, ok, err := PlanOf(plain())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	body := p.Message.Encode()
	if !strings.Contains(body, `"occurrence":"<aws.scheduler.scheduled-time>"`) {
		t.Fatalf("the Scheduler would not substitute its placeholder in %s", body)
	}
	fired := strings.ReplaceAll(body, ScheduledTimeField, "2026-12-24T08:00:00Z")
	c, err := DecodeChunk(fired)
	if err != nil || c.Kind != ChunkFire || c.Occurrence != "2026-12-24T08:00:00Z" {
		t.Fatalf("%+v %v", c, err)
	}
}
