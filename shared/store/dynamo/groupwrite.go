package dynamo

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

// groupWriter gathers the unconditional puts and deletes of concurrent
// callers (timeline chunks, member items: idempotent by their keys) into
// BatchWriteItem calls of up to 25 (a group commit). Each caller still
// returns only once its own item is written, so the order of a caller's
// writes (the chunk before the profile, the member item before the commit)
// is kept; only the round trips are shared. The first caller of a group
// waits up to window for others, then writes the group for everyone.
//
// Why: an import's 1,000 contacts per processor invocation cost three
// single writes each, and on DynamoDB Local (and in a Lambda's wall time)
// the request, not the item, is the cost. A BatchWriteItem bills the same
// write units as the single puts it replaces.
type groupWriter struct {
	st     *Store
	window time.Duration

	mu  sync.Mutex
	cur *writeGroup
}

type writeGroup struct {
	reqs []types.WriteRequest
	keys map[string]bool
	full chan struct{} // closed when the group holds batchWriteMax requests
	done chan struct{} // closed once the group is written
	err  error
}

// GroupWrites makes the store write timeline chunks and member items
// through a group commit (see groupWriter), waiting at most window for a
// group to fill. The processor turns it on: many contacts written at once.
func (st *Store) GroupWrites(window time.Duration) *Store {
	st.group = &groupWriter{st: st, window: window}
	return st
}

// write puts (or deletes) one item through the current group. k is the
// item's full key: a batch may not hold one key twice, so a second write
// of the same item starts a group of its own.
func (g *groupWriter) write(ctx context.Context, k string, req types.WriteRequest) error {
	g.mu.Lock()
	grp, leader := g.cur, false
	if grp == nil || grp.keys[k] {
		grp = &writeGroup{keys: map[string]bool{}, full: make(chan struct{}), done: make(chan struct{})}
		g.cur, leader = grp, true
	}
	grp.reqs = append(grp.reqs, req)
	grp.keys[k] = true
	if len(grp.reqs) == batchWriteMax {
		g.cur = nil
		close(grp.full)
	}
	g.mu.Unlock()
	if !leader {
		select {
		case <-grp.done:
			return grp.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t := time.NewTimer(g.window)
	select {
	case <-grp.full:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	g.mu.Lock()
	if g.cur == grp {
		g.cur = nil
	}
	g.mu.Unlock()
	// The group is sealed: nobody appends to grp.reqs any more. It is
	// written even if the leader's context ended, since the others wait.
	grp.err = g.st.batchWrite(context.WithoutCancel(ctx), grp.reqs)
	close(grp.done)
	return grp.err
}

// putUnconditional writes item alone or through the group commit.
func (st *Store) putUnconditional(ctx context.Context, item map[string]types.AttributeValue) error {
	if st.group == nil {
		_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item, ReturnConsumedCapacity: capacity})
		return err
	}
	return st.group.write(ctx, str(item, attrPK)+"\x00"+str(item, attrSK), types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
}

// deleteUnconditional deletes the item at k alone or through the group commit.
func (st *Store) deleteUnconditional(ctx context.Context, k map[string]types.AttributeValue) error {
	if st.group == nil {
		_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(st.table), Key: k, ReturnConsumedCapacity: capacity})
		return err
	}
	return st.group.write(ctx, str(k, attrPK)+"\x00"+str(k, attrSK), types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
}
