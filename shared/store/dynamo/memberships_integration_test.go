package dynamo_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/membership"
)

// TestMembershipStoreDynamoDB: counts stay exact under repeated and
// concurrent calls, members page by cursor over every shard, and a build
// becomes ready once every shard reported, for its own build only.
func TestMembershipStoreDynamoDB(t *testing.T) {
	_, st := localTable(t, "members")
	ctx := t.Context()
	seg := membership.Ref{Kind: membership.Segment, ID: "pricing"}
	list := membership.Ref{Kind: membership.List, ID: "pricing"}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

	var want []string
	for i := range 45 {
		want = append(want, fmt.Sprintf("c-%03d", i))
	}
	// Every add three times, concurrently: each contact counted once.
	var wg sync.WaitGroup
	for _, id := range want {
		for range 3 {
			wg.Go(func() {
				if _, err := st.SetMember(ctx, seg, id, true, at); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	status, err := st.Status(ctx, seg)
	if err != nil {
		t.Fatal(err)
	}
	if status.Count != 45 || !status.ChangedAt.Equal(at) || status.State != membership.StateReady {
		t.Fatalf("status = %+v, want 45 members changed at %v, ready", status, at)
	}
	if s, _ := st.Status(ctx, list); s.Count != 0 {
		t.Errorf("the list of the same id has %d members", s.Count)
	}
	// Pages of 7 cover every member once.
	var got []string
	cursor, pages := "", 0
	for {
		ids, next, err := st.Members(ctx, seg, cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) > 7 {
			t.Fatalf("page of %d", len(ids))
		}
		got = append(got, ids...)
		pages++
		if next == "" {
			break
		}
		cursor = next
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("paged members = %v (%d pages), want %v", got, pages, want)
	}
	if _, _, err := st.Members(ctx, seg, "nonsense", 5); err == nil {
		t.Error("a made-up cursor was accepted")
	}
	// Removing twice counts once.
	for range 2 {
		if _, err := st.SetMember(ctx, seg, "c-007", false, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	changed, err := st.SetMember(ctx, seg, "c-007", false, at.Add(time.Minute))
	if err != nil || changed {
		t.Errorf("third removal: changed %v, %v", changed, err)
	}
	if in, _ := st.IsMember(ctx, seg, "c-007"); in {
		t.Error("c-007 still a member")
	}
	if in, _ := st.IsMember(ctx, seg, "c-008"); !in {
		t.Error("c-008 not a member")
	}
	if s, _ := st.Status(ctx, seg); s.Count != 44 || !s.ChangedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("after removal: %+v", s)
	}

	// Builds.
	if err := st.StartBuild(ctx, seg, "v2", at); err != nil {
		t.Fatal(err)
	}
	for shard := range 15 {
		s, err := st.ShardBuilt(ctx, seg, "v2", shard, 16)
		if err != nil || s.State != membership.StateBuilding {
			t.Fatalf("after shard %d: %+v, %v", shard, s, err)
		}
	}
	if s, _ := st.ShardBuilt(ctx, seg, "v1", 15, 16); s.State != membership.StateBuilding {
		t.Errorf("an old build's shard finished the new build: %+v", s)
	}
	s, err := st.ShardBuilt(ctx, seg, "v2", 15, 16)
	if err != nil || s.State != membership.StateReady || s.Count != 44 {
		t.Errorf("after the last shard: %+v, %v", s, err)
	}
	if s, _ := st.ShardBuilt(ctx, seg, "v2", 3, 16); s.State != membership.StateReady || s.ShardsDone != 16 {
		t.Errorf("a repeated shard changed the build: %+v", s)
	}
}

// TestMarkMemberAndAddCountDynamoDB: the processor's cheaper path. Member
// items are written and deleted whatever was there (a repeat changes
// nothing), listed by the same pages, and counts added to any shard sum
// with SetMember's.
func TestMarkMemberAndAddCountDynamoDB(t *testing.T) {
	_, st := localTable(t, "marks")
	ctx := t.Context()
	seg := membership.Ref{Kind: membership.Segment, ID: "hot"}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"a", "b", "c", "b"} {
		if err := st.MarkMember(ctx, seg, id, true, at); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := st.MarkMember(ctx, seg, "c", false, at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := membership.All(ctx, st, seg, 1)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("members %v, want [a b]", got)
	}
	if in, err := st.IsMember(ctx, seg, "c"); err != nil || in {
		t.Errorf("c is a member: %v %v", in, err)
	}
	if _, err := st.SetMember(ctx, seg, "d", true, at); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		shard int
		n     int64
	}{{3, 3}, {3, -1}, {15, 0}} {
		if err := st.AddCount(ctx, seg, d.shard, d.n, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddCount(ctx, seg, membership.Shards, 1, at); err == nil {
		t.Error("a count shard out of range was accepted")
	}
	status, err := st.Status(ctx, seg)
	if err != nil {
		t.Fatal(err)
	}
	if status.Count != 3 || !status.ChangedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("status %+v, want 3 changed at %v", status, at.Add(time.Minute))
	}
}
