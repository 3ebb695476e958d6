package processorfn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/fn/processorfn"
)

// The visitors of events/sqs/events-batch.json: record 0 is the server-side
// batch (page, track, identify), record 1 the browser beacon.
const (
	batchVisitor  = "3f1c9a52-7d4e-4b8a-9e61-0c2d5b7a8e14"
	beaconVisitor = "b7e4d1c0-2a9f-4e35-8c17-5f0a6d3e9b42"
)

// sqsFixture reads the fixture the way the Lambda runtime decodes the
// payload before calling Handle.
func sqsFixture(t *testing.T) events.SQSEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "sqs", "events-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func fixtureHandler(store contact.Store) (*processorfn.Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	now := func() time.Time { return time.Date(2025, 3, 10, 9, 6, 15, 0, time.UTC) }
	return processorfn.NewWith(contact.NewProcessor(store, log, now), log), &logs
}

func ownerOf(t *testing.T, store *contacttest.MemStore, kind contact.IdentityKind, value string) *contact.Profile {
	t.Helper()
	id := store.Owner(contact.Identity{Kind: kind, Value: value})
	if id == "" {
		t.Fatalf("no contact for %s %q", kind, value)
	}
	p := store.Profile(id)
	if p == nil {
		t.Fatalf("contact %s of %s %q has no profile", id, kind, value)
	}
	return p
}

func TestSQSFixtureBuildsContacts(t *testing.T) {
	store := contacttest.New()
	h, _ := fixtureHandler(store)
	ev := sqsFixture(t)

	resp, err := h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("failures %v, error %v", resp.BatchItemFailures, err)
	}

	jane := ownerOf(t, store, contact.AnonymousID, batchVisitor)
	for _, id := range []contact.Identity{{Kind: contact.UserID, Value: "usr_8d41c7"}, {Kind: contact.Email, Value: "jane.doe@example.com"}} {
		if got := store.Owner(id); got != jane.ID {
			t.Errorf("%s %q points at %q, want the visitor's contact %s", id.Kind, id.Value, got, jane.ID)
		}
	}
	if jane.PageViews != 1 || jane.EventCount != 3 || jane.Sessions != 1 {
		t.Errorf("page views %d, events %d, sessions %d; want 1, 3, 1", jane.PageViews, jane.EventCount, jane.Sessions)
	}
	if jane.UserID != "usr_8d41c7" || jane.Email != "jane.doe@example.com" || jane.Traits["firstName"] != "Jane" {
		t.Errorf("user %q email %q traits %v", jane.UserID, jane.Email, jane.Traits)
	}
	if ft := jane.FirstTouch; ft == nil || ft.Source != "newsletter" || ft.Medium != "email" || ft.Name != "spring_launch" || ft.Content != "hero_button" {
		t.Errorf("first touch %+v, want the spring_launch newsletter", ft)
	}
	if lp := jane.LastPage; lp == nil || lp.Path != "/pricing" || lp.Title != "Pricing | Acme Widgets" {
		t.Errorf("last page %+v", lp)
	}
	if jane.Timezone != "Europe/London" {
		t.Errorf("timezone %q", jane.Timezone)
	}

	sam := ownerOf(t, store, contact.AnonymousID, beaconVisitor)
	if sam.ID == jane.ID {
		t.Fatal("two visitors share one contact")
	}
	if sam.PageViews != 0 || sam.EventCount != 1 || sam.Email != "" {
		t.Errorf("beacon visitor: page views %d, events %d, email %q", sam.PageViews, sam.EventCount, sam.Email)
	}
	// The beacon came from a LinkedIn post: a referral, not a campaign.
	if lt := sam.LastTouch; lt == nil || lt.Source != "linkedin.com" || lt.Medium != "referral" {
		t.Errorf("last touch %+v, want the linkedin.com referral", lt)
	}

	for _, c := range []struct {
		p    *contact.Profile
		want int
	}{{jane, 3}, {sam, 1}} {
		evs, err := store.RecentEvents(context.Background(), c.p.ID, 50)
		if err != nil || len(evs) != c.want {
			t.Errorf("contact %s: %d timeline events (%v), want %d", c.p.ID, len(evs), err, c.want)
		}
	}
}

// TestSQSFixtureRedelivered: SQS delivers at least once; the same records
// again (now with ApproximateReceiveCount 2) change no profile and cost no
// profile write.
func TestSQSFixtureRedelivered(t *testing.T) {
	store := contacttest.New()
	h, _ := fixtureHandler(store)
	ev := sqsFixture(t)
	if resp, err := h.Handle(context.Background(), ev); err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("first delivery: failures %v, error %v", resp.BatchItemFailures, err)
	}
	ids := []string{store.Owner(contact.Identity{Kind: contact.AnonymousID, Value: batchVisitor}), store.Owner(contact.Identity{Kind: contact.AnonymousID, Value: beaconVisitor})}
	before := map[string]*contact.Profile{}
	for _, id := range ids {
		before[id] = store.Profile(id)
	}
	saves := store.Calls["SaveProfile"]

	for i := range ev.Records {
		ev.Records[i].Attributes["ApproximateReceiveCount"] = "2"
	}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("redelivery: failures %v, error %v", resp.BatchItemFailures, err)
	}
	for _, id := range ids {
		if after := store.Profile(id); !reflect.DeepEqual(before[id], after) {
			t.Errorf("contact %s changed on redelivery:\nbefore %+v\nafter  %+v", id, before[id], after)
		}
	}
	if got := store.Calls["SaveProfile"]; got != saves {
		t.Errorf("redelivery saved profiles %d times, want 0", got-saves)
	}
}

// TestSQSFixtureCorruptRecord: a record whose body cannot be decoded is
// reported alone, so only it is retried (and dead-lettered after
// maxReceiveCount); the other record's visitor is still processed.
func TestSQSFixtureCorruptRecord(t *testing.T) {
	for name, body := range map[string]string{
		"truncated JSON":      `{"requestId":"H3kXsjRmIAMEbPA=","siteKey":`,
		"not a batch":         `["track"]`,
		"bad gzip base64":     "gz:%%%not-base64",
		"gzip of nothing":     "gz:AAAA",
		"an API request body": `{"batch":[{"type":"page"`,
	} {
		t.Run(name, func(t *testing.T) {
			store := contacttest.New()
			h, logs := fixtureHandler(store)
			ev := sqsFixture(t)
			ev.Records[1].Body = body

			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			want := []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[1].MessageId}}
			if !reflect.DeepEqual(resp.BatchItemFailures, want) {
				t.Errorf("failures %v, want only %v", resp.BatchItemFailures, want)
			}
			if store.Owner(contact.Identity{Kind: contact.AnonymousID, Value: batchVisitor}) == "" {
				t.Error("the good record's visitor was not processed")
			}
			if store.Owner(contact.Identity{Kind: contact.AnonymousID, Value: beaconVisitor}) != "" {
				t.Error("the corrupt record's visitor has a contact")
			}
			if !bytes.Contains(logs.Bytes(), []byte(ev.Records[1].MessageId)) {
				t.Errorf("the failed record's SQS message id is not logged: %s", logs)
			}
		})
	}
}
