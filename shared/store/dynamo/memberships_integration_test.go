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

// TestSetMembersDynamoDB: a rebuild page's member writes in few
// transactions. Counts move only for the changes the index did not already
// hold, whatever is repeated or mixed in one call (some already members,
// over a hundred changes over several segments and shards), and the
// result says which changed.
func TestSetMembersDynamoDB(t *testing.T) {
	_, st := localTable(t, "setmembers")
	ctx := t.Context()
	a := membership.Ref{Kind: membership.Segment, ID: "a"}
	b := membership.Ref{Kind: membership.Segment, ID: "b"}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	// Already members: c-000..c-009 of a.
	for i := range 10 {
		if _, err := st.SetMember(ctx, a, fmt.Sprintf("c-%03d", i), true, at); err != nil {
			t.Fatal(err)
		}
	}
	var changes []membership.MemberChange
	for i := range 150 {
		changes = append(changes, membership.MemberChange{Ref: a, ContactID: fmt.Sprintf("c-%03d", i), In: true})
	}
	for i := range 30 {
		changes = append(changes, membership.MemberChange{Ref: b, ContactID: fmt.Sprintf("c-%03d", i), In: true})
	}
	// c-200, not a member of a, leaves it: nothing changes.
	changes = append(changes, membership.MemberChange{Ref: a, ContactID: "c-200", In: false})
	got, err := st.SetMembers(ctx, changes, at)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range changes {
		want := !(c.Ref == a && c.In && c.ContactID < "c-010") && c.ContactID != "c-200"
		if got[i] != want {
			t.Errorf("change %d %+v: changed %v, want %v", i, c, got[i], want)
		}
	}
	for ref, want := range map[membership.Ref]int64{a: 150, b: 30} {
		s, err := st.Status(ctx, ref)
		if err != nil || s.Count != want {
			t.Errorf("%s: %+v, %v; want %d members", ref, s, err, want)
		}
		members, err := membership.All(ctx, st, ref, 100)
		if err != nil || int64(len(members)) != want {
			t.Errorf("%s lists %d members, %v", ref, len(members), err)
		}
	}
	// The same call again changes and counts nothing; taking five out
	// counts five.
	again, err := st.SetMembers(ctx, changes, at)
	if err != nil || slices.Contains(again, true) {
		t.Fatalf("repeat: %v, %v", again, err)
	}
	var out []membership.MemberChange
	for i := range 5 {
		out = append(out, membership.MemberChange{Ref: a, ContactID: fmt.Sprintf("c-%03d", i*20), In: false})
	}
	if _, err := st.SetMembers(ctx, out, at); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Status(ctx, a); s.Count != 145 {
		t.Errorf("after five exits: %d members, want 145", s.Count)
	}
}
