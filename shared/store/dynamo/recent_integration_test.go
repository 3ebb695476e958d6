package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/tracking"
)

// visit is n page events of one visitor, each with a random property of
// pad hex digits (incompressible, so a test controls how much fits).
func visit(r *rand.Rand, prefix string, at time.Time, n, pad int) ([]tracking.Message, []scoring.Change) {
	var msgs []tracking.Message
	var changes []scoring.Change
	for i := range n {
		ts := at.Add(time.Duration(i) * time.Second)
		id := fmt.Sprintf("%s-%d", prefix, i)
		noise := make([]byte, pad/2)
		for j := range noise {
			noise[j] = byte(r.UintN(256))
		}
		msgs = append(msgs, tracking.Message{
			Type: tracking.TypeTrack, Event: "Button Clicked", MessageID: id, AnonymousID: "anon-1", Timestamp: ts, ReceivedAt: ts,
			Properties: map[string]any{"noise": fmt.Sprintf("%x", noise)},
			Context:    tracking.Context{Page: &tracking.Page{URL: "https://shop.example/pricing", Path: "/pricing", Title: "Pricing"}},
		})
		changes = append(changes, scoring.Change{MessageID: id, RuleID: "click", Kind: "engagement", Points: 1, At: ts})
	}
	return msgs, changes
}

// partition lists what a contact's partition holds: the events kept in
// its profile item and those in chunks (with repeats), by message id.
func partition(t *testing.T, db *dynamodb.Client, table, cid string) (kept, chunked []string, profileBytes int) {
	t.Helper()
	res, err := db.Query(t.Context(), &dynamodb.QueryInput{
		TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "C#" + cid}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range res.Items {
		sk := it["sk"].(*types.AttributeValueMemberS).Value
		switch {
		case sk == "P":
			msgs, err := dynamo.ProfileEvents(it)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				kept = append(kept, m.MessageID)
			}
			for k, v := range it {
				profileBytes += len(k)
				switch v := v.(type) {
				case *types.AttributeValueMemberS:
					profileBytes += len(v.Value)
				case *types.AttributeValueMemberB:
					profileBytes += len(v.Value)
				case *types.AttributeValueMemberN:
					profileBytes += len(v.Value)
				}
			}
		case strings.HasPrefix(sk, "E#"):
			msgs, err := dynamo.DecodeEvents(it["z"].(*types.AttributeValueMemberB).Value)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				chunked = append(chunked, m.MessageID)
			}
		}
	}
	return kept, chunked, profileBytes
}

// checkTimeline: Timeline and ScoreHistory give every committed event and
// score change exactly once, newest first.
func checkTimeline(t *testing.T, st *dynamo.Store, cid string, want []tracking.Message) {
	t.Helper()
	got, err := st.Timeline(t.Context(), []string{cid}, time.Time{}, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs, wantIDs []string
	for i, m := range got {
		gotIDs = append(gotIDs, m.MessageID)
		if i > 0 && m.Timestamp.After(got[i-1].Timestamp) {
			t.Fatalf("timeline not newest first at %d", i)
		}
	}
	for _, m := range want {
		wantIDs = append(wantIDs, m.MessageID)
	}
	sort.Strings(gotIDs)
	sort.Strings(wantIDs)
	if !slices.Equal(gotIDs, wantIDs) {
		t.Fatalf("timeline has %d events %v\nwant %d %v", len(gotIDs), gotIDs, len(wantIDs), wantIDs)
	}
	hist, err := st.ScoreHistory(t.Context(), []string{cid}, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var histIDs []string
	for _, h := range hist {
		histIDs = append(histIDs, h.MessageID)
		if h.Event != "Button Clicked" {
			t.Fatalf("score change of %s describes %q", h.MessageID, h.Event)
		}
	}
	sort.Strings(histIDs)
	if !slices.Equal(histIDs, wantIDs) {
		t.Fatalf("score history has %d changes, want one per event (%d)", len(histIDs), len(wantIDs))
	}
}

func commitVisit(t *testing.T, st *dynamo.Store, p *contact.Profile, msgs []tracking.Message, changes []scoring.Change) error {
	t.Helper()
	commit := contact.Commit{ID: contact.Hash(msgs[0].MessageID) | 1, Parent: p.LastCommit}
	p.EventCount += len(msgs)
	return st.CommitEvents(t.Context(), p, commit, msgs, changes)
}

// TestKeptEventsMoveToAChunkWhenTheyStopFitting: visits stay in the
// profile item while it fits in one write unit, the oldest move to a chunk
// when it would not, and at every step the partition holds each event
// exactly once and the readers see all of them.
func TestKeptEventsMoveToAChunkWhenTheyStopFitting(t *testing.T) {
	db, st, table := namedTable(t, "recent")
	r := rand.New(rand.NewPCG(1, 2))
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	p := &contact.Profile{ID: "c_recent", AnonymousIDs: []string{"anon-1"}, CreatedAt: at}
	all := visitsUntilMoved(t, db, st, table, &p, r, at, 1024)
	// A visit too large to keep goes to a chunk of its commit, with
	// everything kept.
	big, changes := visit(r, "big", at.Add(24*time.Hour), 40, 60)
	if err := commitVisit(t, st, p, big, changes); err != nil {
		t.Fatal(err)
	}
	all = append(all, big...)
	if kept, chunked, _ := partition(t, db, table, p.ID); len(kept)+len(chunked) != len(all) {
		t.Fatalf("after a large visit: %d kept + %d in chunks, want %d", len(kept), len(chunked), len(all))
	}
	checkTimeline(t, st, p.ID, all)
}

// TestAProfileOverOneUnitKeepsEventsInItsSecond: a profile over 1 KB on
// its own is billed two write units whatever it holds, so visits stay in
// its item up to 2 KB instead of costing a chunk write each; the item never
// costs more units than the profile alone, the oldest events move to a
// chunk when the next visit would not fit, and readers see every event
// once.
func TestAProfileOverOneUnitKeepsEventsInItsSecond(t *testing.T) {
	db, st, table := namedTable(t, "recentbig")
	r := rand.New(rand.NewPCG(5, 6))
	at := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	noise := make([]byte, 900)
	for i := range noise {
		noise[i] = byte(r.UintN(256))
	}
	// Incompressible traits: ~1.2 KB stored, two units on its own.
	p := &contact.Profile{ID: "c_big", AnonymousIDs: []string{"anon-1"}, CreatedAt: at, Traits: map[string]any{"notes": fmt.Sprintf("%x", noise)}}
	if err := st.SaveProfile(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	_, _, bare := partition(t, db, table, p.ID)
	if bare <= 1024 || bare > 2048 {
		t.Fatalf("the profile alone is %d bytes; the test needs one of two write units", bare)
	}
	got, err := st.GetProfiles(t.Context(), []string{p.ID})
	if err != nil {
		t.Fatal(err)
	}
	p = got[p.ID]
	visitsUntilMoved(t, db, st, table, &p, r, at, 2048)
}

// TestConflictWhileMovingKeptEventsLosesNothing: two writers read the same
// profile with kept events; the first moves them to a chunk and commits,
// the second fails on the version (after writing its own chunk of the kept
// events) and retries on the new profile. No event is lost, readers see
// each once, and de-duplication counts the committed events as applied.
func TestConflictWhileMovingKeptEventsLosesNothing(t *testing.T) {
	db, st, table := namedTable(t, "recentconflict")
	r := rand.New(rand.NewPCG(3, 4))
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	p := &contact.Profile{ID: "c_race", AnonymousIDs: []string{"anon-1"}, CreatedAt: at}
	first, changes := visit(r, "first", at, 3, 60)
	if err := commitVisit(t, st, p, first, changes); err != nil {
		t.Fatal(err)
	}
	if kept, _, _ := partition(t, db, table, p.ID); len(kept) != 3 {
		t.Fatalf("first visit: %d events kept, want 3 (the test needs kept events)", len(kept))
	}
	read := func() *contact.Profile {
		got, err := st.GetProfiles(t.Context(), []string{p.ID})
		if err != nil {
			t.Fatal(err)
		}
		return got[p.ID]
	}
	a, b := read(), read()
	bMsgs, bChanges := visit(r, "b", at.Add(time.Hour), 8, 60)
	if err := commitVisit(t, st, b, bMsgs, bChanges); err != nil {
		t.Fatal(err)
	}
	aMsgs, aChanges := visit(r, "a", at.Add(2*time.Hour), 8, 60)
	err := commitVisit(t, st, a, aMsgs, aChanges)
	if !errors.Is(err, contact.ErrConflict) {
		t.Fatalf("second writer: %v, want a version conflict", err)
	}
	if len(a.Recent) != 3 {
		t.Fatalf("a failed commit left %d kept events on the working profile, want the 3 it read", len(a.Recent))
	}
	a = read()
	if err := commitVisit(t, st, a, aMsgs, aChanges); err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(first, bMsgs, aMsgs)
	checkTimeline(t, st, p.ID, all)
	kept, chunked, _ := partition(t, db, table, p.ID)
	have := map[string]bool{}
	for _, id := range append(kept, chunked...) {
		have[id] = true
	}
	for _, m := range all {
		if !have[m.MessageID] {
			t.Fatalf("event %s is stored nowhere", m.MessageID)
		}
	}
	// De-duplication's slow path: the committed chunks (by the commit
	// chain) and the kept events cover every event.
	final := read()
	chunks, err := st.Chunks(t.Context(), []string{p.ID}, at.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(all))
	for i, m := range all {
		ids[i] = m.MessageID
	}
	applied := contact.AppliedIn(chunks, map[string]uint64{p.ID: final.LastCommit}, ids)
	for _, m := range final.Recent {
		applied[m.MessageID] = true
	}
	for _, id := range ids {
		if !applied[id] {
			t.Fatalf("event %s is not seen as applied by de-duplication", id)
		}
	}
}

// namedTable is localTable with the table's name, for reading items.
func namedTable(t *testing.T, name string) (*dynamodb.Client, *dynamo.Store, string) {
	t.Helper()
	table := fmt.Sprintf("%s-%d", name, tableSeq.Add(1))
	if err := dynamo.CreateTable(context.Background(), localDB, table); err != nil {
		t.Fatal(err)
	}
	return localDB, dynamo.New(localDB, table), table
}

// visitsUntilMoved commits eight visits of three events to the contact,
// checking after each that the profile item keeps events only within
// limit bytes, that the partition holds every event once (kept or in a
// chunk), that a reader reads back what the item keeps and sees the whole
// timeline; and, at the end, that events were both kept and moved. *p is
// the profile as last read back; the events committed are returned.
func visitsUntilMoved(t *testing.T, db *dynamodb.Client, st *dynamo.Store, table string, p **contact.Profile, r *rand.Rand, at time.Time, limit int) []tracking.Message {
	t.Helper()
	var all []tracking.Message
	sawKept, sawMove := false, false
	for v := range 8 {
		msgs, changes := visit(r, fmt.Sprintf("v%d", v), at.Add(time.Duration(v)*time.Hour), 3, 60)
		if err := commitVisit(t, st, *p, msgs, changes); err != nil {
			t.Fatalf("visit %d: %v", v, err)
		}
		all = append(all, msgs...)
		kept, chunked, size := partition(t, db, table, (*p).ID)
		if len(kept) > 0 && size > limit {
			t.Fatalf("visit %d: profile item of %d bytes keeps %d events: over %d bytes", v, size, len(kept), limit)
		}
		if ids := append(slices.Clone(kept), chunked...); len(ids) != len(all) {
			t.Fatalf("visit %d: partition holds %d events (%d kept, %d in chunks), want %d", v, len(ids), len(kept), len(chunked), len(all))
		}
		sawKept = sawKept || len(kept) > 0
		sawMove = sawMove || len(chunked) > 0
		// The next writer reads what this one committed.
		got, err := st.GetProfiles(t.Context(), []string{(*p).ID})
		if err != nil {
			t.Fatal(err)
		}
		*p = got[(*p).ID]
		if len((*p).Recent) != len(kept) || len((*p).RecentScores) != len(kept) {
			t.Fatalf("visit %d: read back %d kept events and %d changes, item holds %d", v, len((*p).Recent), len((*p).RecentScores), len(kept))
		}
		checkTimeline(t, st, (*p).ID, all)
	}
	if !sawKept || !sawMove {
		t.Fatalf("kept events: %v, moved to a chunk: %v; the test should see both", sawKept, sawMove)
	}
	return all
}
