package campaign

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/tracking"
)

// sendBook is send records with their marks and the counters they moved,
// in memory: CountSendOnce keeps the store's contract (the mark and the
// counters together, a marked send adds nothing).
type sendBook struct {
	sends  map[string]mail.SendState
	marks  map[string]bool
	counts map[string]int64 // "campaign/occurrence/variant/name"
	fail   bool
}

func newSendBook() *sendBook {
	b := &sendBook{sends: map[string]mail.SendState{}, marks: map[string]bool{}, counts: map[string]int64{}}
	for _, id := range []string{"c-1", "c-2"} {
		b.sends[id] = mail.SendState{Record: mail.Record{SendID: id, Source: mail.Source{Campaign: "launch", Run: "2027-01-15T09:00", Step: "b"}}}
	}
	b.sends["a-api"] = mail.SendState{Record: mail.Record{SendID: "a-api"}}
	return b
}

func (b *sendBook) GetSend(_ context.Context, id string) (mail.SendState, error) {
	rec, ok := b.sends[id]
	if !ok {
		return mail.SendState{}, mail.ErrSendNotFound
	}
	return rec, nil
}

func (b *sendBook) CountSendOnce(_ context.Context, id, mark string, src mail.Source, d map[string]int64) (bool, error) {
	if b.fail {
		return false, errInjected
	}
	if b.marks[id+"/"+mark] {
		return false, nil
	}
	b.marks[id+"/"+mark] = true
	for k, v := range d {
		b.counts[src.Campaign+"/"+src.Run+"/"+src.Step+"/"+k] += v
	}
	return true, nil
}

func TestCountSendOutcomesOnce(t *testing.T) {
	key := func(name string) string { return "launch/2027-01-15T09:00/b/" + name }
	cases := []struct {
		name  string
		count func(context.Context, SendCounter) (bool, error)
		times int
		want  map[string]int64
		err   bool
	}{
		{"delivered twice counts once", func(ctx context.Context, sc SendCounter) (bool, error) {
			return CountSendOutcome(ctx, sc, "c-1", CountDelivered)
		}, 2, map[string]int64{key(CountDelivered): 1}, false},
		{"bounce and complaint apart", func(ctx context.Context, sc SendCounter) (bool, error) {
			if _, err := CountSendOutcome(ctx, sc, "c-1", CountBounced); err != nil {
				return false, err
			}
			return CountSendOutcome(ctx, sc, "c-1", CountComplained)
		}, 3, map[string]int64{key(CountBounced): 1, key(CountComplained): 1}, false},
		{"an unknown outcome is refused", func(ctx context.Context, sc SendCounter) (bool, error) {
			return CountSendOutcome(ctx, sc, "c-1", "opened-twice")
		}, 1, map[string]int64{}, true},
		{"a send that is not a campaign's counts nothing", func(ctx context.Context, sc SendCounter) (bool, error) {
			return CountSendOutcome(ctx, sc, "a-api", CountUnsubscribed)
		}, 1, map[string]int64{}, false},
		{"a send without a record counts nothing", func(ctx context.Context, sc SendCounter) (bool, error) {
			return CountSendOutcome(ctx, sc, "c-gone", CountDelivered)
		}, 1, map[string]int64{}, false},
		{"a link's clicks: once per send, query dropped", func(ctx context.Context, sc SendCounter) (bool, error) {
			if _, err := CountLinkClick(ctx, sc, "c-1", "https://Example.com/pricing?u=1"); err != nil {
				return false, err
			}
			if _, err := CountLinkClick(ctx, sc, "c-2", "https://example.com/pricing?u=2"); err != nil {
				return false, err
			}
			return CountLinkClick(ctx, sc, "c-1", "https://example.com/docs")
		}, 2, map[string]int64{key("click:https://example.com/pricing"): 2, key("click:https://example.com/docs"): 1}, false},
		{"conversion with revenue, once per send", func(ctx context.Context, sc SendCounter) (bool, error) {
			return CountConversion(ctx, sc, "c-2", 4999)
		}, 3, map[string]int64{key(CountConversions): 1, key(CountRevenueCents): 4999}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newSendBook()
			var err error
			for range tc.times {
				if _, err = tc.count(t.Context(), b); err != nil {
					break
				}
			}
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if !maps.Equal(b.counts, tc.want) {
				t.Errorf("counts = %v, want %v", b.counts, tc.want)
			}
		})
	}
}

func TestLinkCounterAndRevenue(t *testing.T) {
	for link, want := range map[string]string{
		"https://Example.com/a/b?x=1#top": "click:https://example.com/a/b",
		"http://example.com":              "click:http://example.com",
		"not a link":                      "",
		"/relative/path":                  "",
	} {
		if got := LinkCounter(link); got != want {
			t.Errorf("LinkCounter(%q) = %q, want %q", link, got, want)
		}
	}
	for _, tc := range []struct {
		v    any
		want int64
	}{{49.99, 4999}, {float64(10), 1000}, {"12", 0}, {-5.0, 0}, {nil, 0}, {1e12, 0}} {
		ev := tracking.Message{Properties: map[string]any{"amount": tc.v}}
		if got := Revenue(ev, "amount"); got != tc.want {
			t.Errorf("Revenue(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

type defsOf map[string]Campaign

func (d defsOf) Campaign(_ context.Context, id string) (Campaign, error) {
	c, ok := d[id]
	if !ok {
		return Campaign{}, ErrNotFound
	}
	return c, nil
}

func TestConversionReactor(t *testing.T) {
	t0 := time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC)
	open := func(send string, machine bool, at time.Time) tracking.Message {
		return tracking.Message{Type: tracking.TypeTrack, Event: engagement.EventOpened, ContactID: "c_1", Timestamp: at,
			Properties: map[string]any{"send_id": send, "machine": machine}}
	}
	goal := func(name string, at time.Time, amount any) tracking.Message {
		return tracking.Message{Type: tracking.TypeTrack, Event: name, Timestamp: at, Properties: map[string]any{"amount": amount}}
	}
	defs := defsOf{"launch": {ID: "launch", Goal: &Goal{Event: "Order Completed", Window: "72h", RevenueProperty: "amount"}}}
	key := "launch/2027-01-15T09:00/b/"
	cases := []struct {
		name   string
		touch  *contact.CampaignTouch
		passes [][]tracking.Message
		want   map[string]int64
		touch2 string // the send id of the touch after
	}{
		{"human open then the goal in the window", nil,
			[][]tracking.Message{{open("c-1", false, t0), goal("Order Completed", t0.Add(time.Hour), 49.99)}},
			map[string]int64{key + CountConversions: 1, key + CountRevenueCents: 4999}, "c-1"},
		{"the goal in a later pass, from the stored touch", nil,
			[][]tracking.Message{{open("c-1", false, t0)}, {goal("order completed", t0.Add(48*time.Hour), 10.0)}},
			map[string]int64{key + CountConversions: 1, key + CountRevenueCents: 1000}, "c-1"},
		{"a machine open is no touch", nil,
			[][]tracking.Message{{open("c-1", true, t0), goal("Order Completed", t0.Add(time.Hour), 5.0)}},
			map[string]int64{}, ""},
		{"after the window nothing counts", nil,
			[][]tracking.Message{{open("c-1", false, t0)}, {goal("Order Completed", t0.Add(73*time.Hour), 5.0)}},
			map[string]int64{}, "c-1"},
		{"another event is not the goal", nil,
			[][]tracking.Message{{open("c-1", false, t0), goal("Page Viewed", t0.Add(time.Hour), 5.0)}},
			map[string]int64{}, "c-1"},
		{"a website's Email Opened (no contact id) claims nothing", nil,
			[][]tracking.Message{{{Type: tracking.TypeTrack, Event: engagement.EventOpened, Timestamp: t0, Properties: map[string]any{"send_id": "c-1"}},
				goal("Order Completed", t0.Add(time.Hour), 5.0)}},
			map[string]int64{}, ""},
		{"a retried pass and a second goal count once", nil,
			[][]tracking.Message{{open("c-2", false, t0), goal("Order Completed", t0.Add(time.Hour), 1.0)},
				{open("c-2", false, t0), goal("Order Completed", t0.Add(time.Hour), 1.0)},
				{goal("Order Completed", t0.Add(2*time.Hour), 7.0)}},
			map[string]int64{key + CountConversions: 1, key + CountRevenueCents: 100}, "c-2"},
		{"a non-campaign send is no touch, the old one stays",
			&contact.CampaignTouch{SendID: "c-2", Campaign: "launch", At: t0},
			[][]tracking.Message{{open("a-api", false, t0.Add(time.Hour)), goal("Order Completed", t0.Add(2*time.Hour), 2.0)}},
			map[string]int64{key + CountConversions: 1, key + CountRevenueCents: 200}, "c-2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newSendBook()
			r := &ConversionReactor{Sends: b, Definitions: defs, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			p := &contact.Profile{ID: "c_1", CampaignTouch: tc.touch}
			for _, evs := range tc.passes {
				after := *p
				if err := r.React(t.Context(), &contact.Change{Before: p, After: &after, Events: evs, Now: t0}); err != nil {
					t.Fatal(err)
				}
				p = &after
			}
			if !maps.Equal(b.counts, tc.want) {
				t.Errorf("counts = %v, want %v", b.counts, tc.want)
			}
			got := ""
			if p.CampaignTouch != nil {
				got = p.CampaignTouch.SendID
			}
			if got != tc.touch2 {
				t.Errorf("touch = %q, want %q", got, tc.touch2)
			}
		})
	}
	t.Run("a failed count fails the pass, which is retried", func(t *testing.T) {
		b := newSendBook()
		b.fail = true
		r := &ConversionReactor{Sends: b, Definitions: defs, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		after := &contact.Profile{ID: "c_1"}
		err := r.React(t.Context(), &contact.Change{After: after, Events: []tracking.Message{open("c-1", false, t0), goal("Order Completed", t0.Add(time.Hour), 1.0)}})
		if !errors.Is(err, errInjected) {
			t.Errorf("err = %v", err)
		}
	})
}
