package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/tracking"
)

// countingDB is DynamoDB Local with the single and batch writes counted.
type countingDB struct {
	*dynamodb.Client
	puts, deletes, batches atomic.Int64
}

func (c *countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.puts.Add(1)
	return c.Client.PutItem(ctx, in, o...)
}

func (c *countingDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.deletes.Add(1)
	return c.Client.DeleteItem(ctx, in, o...)
}

func (c *countingDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.batches.Add(1)
	return c.Client.BatchWriteItem(ctx, in, o...)
}

// TestGroupWritesShareBatchesDynamoDB: contacts written at the same time
// share BatchWriteItem calls for their timeline chunks and member items;
// every write has landed when its call returns (the chunk is read back, the
// member listed); the same item written twice at once, and a put then a
// delete of one member, end as the last write says.
func TestGroupWritesShareBatchesDynamoDB(t *testing.T) {
	ctx := t.Context()
	table := fmt.Sprintf("groupwrite-%d", tableSeq.Add(1))
	if err := dynamo.CreateTable(ctx, localDB, table); err != nil {
		t.Fatal(err)
	}
	db := &countingDB{Client: localDB}
	st := dynamo.New(db, table).GroupWrites(50 * time.Millisecond)
	list := membership.Ref{Kind: membership.List, ID: "imported"}
	at := time.Now().UTC().Truncate(time.Second)
	const contacts = 60
	var wg sync.WaitGroup
	errs := make(chan error, 4*contacts)
	for i := range contacts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cid := fmt.Sprintf("c_group%02d", i)
			msg := tracking.Message{Type: tracking.TypeTrack, Event: "Imported", MessageID: fmt.Sprintf("m%02d", i), ContactID: cid, Timestamp: at, ReceivedAt: at}
			if err := st.PutEvents(ctx, cid, contact.Commit{ID: uint64(i + 1)}, []tracking.Message{msg}, nil); err != nil {
				errs <- err
				return
			}
			if err := st.MarkMember(ctx, list, cid, true, at); err != nil {
				errs <- err
				return
			}
			// Read back at once: the write must have landed.
			evs, err := st.RecentEvents(ctx, cid, 10)
			if err != nil {
				errs <- err
			} else if len(evs) != 1 || evs[0].MessageID != msg.MessageID {
				errs <- fmt.Errorf("%s: events %+v right after the write", cid, evs)
			}
		}()
	}
	// The same member twice at once: both calls succeed, one item.
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.MarkMember(ctx, list, "c_twice", true, at); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A put then a delete of the same member, one after the other.
	if err := st.MarkMember(ctx, list, "c_gone", true, at); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkMember(ctx, list, "c_gone", false, at); err != nil {
		t.Fatal(err)
	}
	members := map[string]bool{}
	cursor := ""
	for {
		page, next, err := st.Members(ctx, list, cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			members[m] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(members) != contacts+1 || !members["c_twice"] || members["c_gone"] || !members["c_group07"] {
		t.Errorf("%d members (c_twice %v, c_gone %v), want %d", len(members), members["c_twice"], members["c_gone"], contacts+1)
	}
	writes := 2*contacts + 2 + 2
	if db.puts.Load() != 0 || db.deletes.Load() != 0 {
		t.Errorf("%d single puts and %d deletes: every write should go through a batch", db.puts.Load(), db.deletes.Load())
	}
	if b := db.batches.Load(); b == 0 || b > int64(writes)/4 {
		t.Errorf("%d BatchWriteItem calls for %d writes: not shared", b, writes)
	}
}
