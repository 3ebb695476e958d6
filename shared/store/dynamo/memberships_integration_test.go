package dynamo_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
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

// TestAddCountsDynamoDB: a processor flush's counts. Several deltas go to
// one item per shard (one write), a single delta to its segment's own count
// item; Status sums both with SetMember's and takes the latest change. Once
// the shared item costs as many units as a flush has deltas, each delta
// goes to its own item instead, so a flush never costs more than a write
// per delta.
func TestAddCountsDynamoDB(t *testing.T) {
	db, st, table := namedTable(t, "addcounts")
	ctx := t.Context()
	hot, warm, list := membership.Ref{Kind: membership.Segment, ID: "hot"}, membership.Ref{Kind: membership.Segment, ID: "warm"}, membership.Ref{Kind: membership.List, ID: "hot"}
	at := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	if _, err := st.SetMember(ctx, hot, "a", true, at); err != nil {
		t.Fatal(err)
	}
	if failed, err := st.AddCounts(ctx, 3, map[membership.Ref]int64{hot: 2, warm: 5, list: -1}, at.Add(time.Minute)); err != nil || failed != nil {
		t.Fatal(failed, err)
	}
	if failed, err := st.AddCounts(ctx, 3, map[membership.Ref]int64{hot: 1, warm: -2}, at.Add(2*time.Minute)); err != nil || failed != nil {
		t.Fatal(failed, err)
	}
	if failed, err := st.AddCounts(ctx, 7, map[membership.Ref]int64{warm: 1, list: 0}, at.Add(3*time.Minute)); err != nil || failed != nil {
		t.Fatal(failed, err)
	}
	for _, c := range []struct {
		ref     membership.Ref
		count   int64
		changed time.Time
	}{{hot, 4, at.Add(2 * time.Minute)}, {warm, 4, at.Add(3 * time.Minute)}, {list, -1, at.Add(time.Minute)}} {
		status, err := st.Status(ctx, c.ref)
		if err != nil {
			t.Fatal(err)
		}
		if status.Count != c.count || !status.ChangedAt.Equal(c.changed) {
			t.Errorf("%s: count %d changed %v, want %d at %v", c.ref, status.Count, status.ChangedAt, c.count, c.changed)
		}
	}
	// Two flushes of several deltas on shard 3: one shared item; warm's
	// single delta on shard 7 went to warm's own count item.
	shared := scanPrefix(t, db, table, "MC#all")
	if len(shared) != 1 || shared[0]["sk"].(*types.AttributeValueMemberS).Value != "N#3" {
		t.Fatalf("shared count items %v, want the one of shard 3", shared)
	}
	if _, ok := shared[0]["s#warm"]; !ok {
		t.Errorf("shared item %v has no part of warm's count", shared[0])
	}
	if own := scanPrefix(t, db, table, "MC#s#warm"); len(own) != 1 {
		t.Errorf("warm's own count items %v, want shard 7's", own)
	}

	// A site with many segments: the shared item of shard 5 grows past one
	// unit, so a later flush of two deltas costs two units there; it goes
	// to the two segments' own items.
	many := map[membership.Ref]int64{}
	for i := range 40 {
		many[membership.Ref{Kind: membership.Segment, ID: fmt.Sprintf("a-fairly-long-segment-name-%02d", i)}] = 1
	}
	if failed, err := st.AddCounts(ctx, 5, many, at); err != nil || failed != nil {
		t.Fatal(failed, err)
	}
	if failed, err := st.AddCounts(ctx, 5, map[membership.Ref]int64{hot: 1, warm: 1}, at.Add(4*time.Minute)); err != nil || failed != nil {
		t.Fatal(failed, err)
	}
	for _, it := range scanPrefix(t, db, table, "MC#all") {
		if it["sk"].(*types.AttributeValueMemberS).Value == "N#5" {
			if _, ok := it["s#hot"]; ok {
				t.Errorf("two deltas were added to a shared item of over one unit")
			}
		}
	}
	if status, err := st.Status(ctx, hot); err != nil || status.Count != 5 || !status.ChangedAt.Equal(at.Add(4*time.Minute)) {
		t.Errorf("hot after the flush on its own item: %+v %v, want 5 at %v", status, err, at.Add(4*time.Minute))
	}
	if status, err := st.Status(ctx, membership.Ref{Kind: membership.Segment, ID: "a-fairly-long-segment-name-07"}); err != nil || status.Count != 1 {
		t.Errorf("a segment counted in the large shared item: %+v %v", status, err)
	}

	if failed, err := st.AddCounts(ctx, membership.Shards, map[membership.Ref]int64{hot: 1}, at); err == nil || failed[hot] != 1 {
		t.Errorf("a shard out of range: failed %v, err %v", failed, err)
	}
}

// scanPrefix is every item whose partition key starts with prefix.
func scanPrefix(t *testing.T, db *dynamodb.Client, table, prefix string) []map[string]types.AttributeValue {
	t.Helper()
	res, err := db.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		FilterExpression: aws.String("begins_with(pk, :p)"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: prefix}}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Items
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
