package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

// groupWriter gathers the writes of concurrent callers into calls of up to
// 25 (a group commit): the unconditional puts and deletes (timeline chunks,
// member items: idempotent by their keys) into BatchWriteItem calls, and
// the creations of new items (a new contact's profile, an import's email
// link: "only if the key is free") into BatchExecuteStatement calls of
// PartiQL INSERTs, each of which fails on its own if its key exists. Each
// caller still returns only once its own item is written, with its own
// answer, so the order of a caller's writes (the chunk before the profile,
// the member item before the commit) is kept; only the round trips are
// shared. The first caller of a group waits up to window for others, then
// writes the group for everyone.
//
// Why: an import's 1,000 contacts per processor invocation, and a job's
// 1,000 email links per page, cost a write each, and on DynamoDB Local
// (and in a Lambda's wall time) the request, not the item, is the cost.
// Both batch calls bill the write units of the single writes they replace
// (no transaction: nothing is billed twice).
type groupWriter struct {
	st     *Store
	window time.Duration

	writes  grouper[types.WriteRequest]
	inserts grouper[map[string]types.AttributeValue]
}

// grouper is one kind of group commit: flush writes a sealed group and
// answers each request's error.
type grouper[R any] struct {
	mu    sync.Mutex
	cur   *writeGroup[R]
	flush func(ctx context.Context, reqs []R) []error
}

type writeGroup[R any] struct {
	reqs []R
	keys map[string]bool
	full chan struct{} // closed when the group holds batchWriteMax requests
	done chan struct{} // closed once the group is written
	errs []error
}

// GroupWrites makes the store write timeline chunks and member items, and
// create new profiles and import links, through a group commit (see
// groupWriter), waiting at most window for a group to fill. The processor
// and the jobs function turn it on: many items written at once.
func (st *Store) GroupWrites(window time.Duration) *Store {
	g := &groupWriter{st: st, window: window}
	g.writes.flush = func(ctx context.Context, reqs []types.WriteRequest) []error {
		err := st.batchWrite(ctx, reqs)
		errs := make([]error, len(reqs))
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	g.inserts.flush = st.insertBatch
	st.group = g
	return st
}

// GroupInserts groups only the creations (new profiles, import links), for
// a function that writes few other items at once (the jobs function: an
// import page's links).
func (st *Store) GroupInserts(window time.Duration) *Store {
	g := &groupWriter{st: st, window: window}
	g.inserts.flush = st.insertBatch
	st.group = g
	return st
}

// add puts req in the current group of gr and waits for its answer. k is
// the item's full key: a batch may not hold one key twice, so a second
// write of the same item starts a group of its own.
func add[R any](ctx context.Context, gr *grouper[R], window time.Duration, k string, req R) error {
	gr.mu.Lock()
	grp, leader := gr.cur, false
	if grp == nil || grp.keys[k] {
		grp = &writeGroup[R]{keys: map[string]bool{}, full: make(chan struct{}), done: make(chan struct{})}
		gr.cur, leader = grp, true
	}
	i := len(grp.reqs)
	grp.reqs = append(grp.reqs, req)
	grp.keys[k] = true
	if len(grp.reqs) == batchWriteMax {
		gr.cur = nil
		close(grp.full)
	}
	gr.mu.Unlock()
	if !leader {
		select {
		case <-grp.done:
			return grp.errs[i]
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t := time.NewTimer(window)
	select {
	case <-grp.full:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	gr.mu.Lock()
	if gr.cur == grp {
		gr.cur = nil
	}
	gr.mu.Unlock()
	// The group is sealed: nobody appends to grp.reqs any more. It is
	// written even if the leader's context ended, since the others wait.
	grp.errs = gr.flush(context.WithoutCancel(ctx), grp.reqs)
	close(grp.done)
	return grp.errs[i]
}

func itemKey(item map[string]types.AttributeValue) string {
	return str(item, attrPK) + "\x00" + str(item, attrSK)
}

// putUnconditional writes item alone or through the group commit.
func (st *Store) putUnconditional(ctx context.Context, item map[string]types.AttributeValue) error {
	if st.group == nil || st.group.writes.flush == nil {
		_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item, ReturnConsumedCapacity: capacity})
		return err
	}
	return add(ctx, &st.group.writes, st.group.window, itemKey(item), types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
}

// deleteUnconditional deletes the item at k alone or through the group commit.
func (st *Store) deleteUnconditional(ctx context.Context, k map[string]types.AttributeValue) error {
	if st.group == nil || st.group.writes.flush == nil {
		_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(st.table), Key: k, ReturnConsumedCapacity: capacity})
		return err
	}
	return add(ctx, &st.group.writes, st.group.window, itemKey(k), types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
}

// errItemExists: an item with the key being created is already there.
var errItemExists = errors.New("item exists")

// insertNew writes item only if no item has its key (errItemExists
// otherwise), alone (a conditional PutItem) or through the group commit (a
// PartiQL INSERT, which refuses an existing key the same way). Either way
// the write is conditional, so it never overwrites what a concurrent writer
// created first.
func (st *Store) insertNew(ctx context.Context, item map[string]types.AttributeValue) error {
	if st.group == nil {
		_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnConsumedCapacity: capacity})
		if isConditionFailed(err) {
			return errItemExists
		}
		return err
	}
	return add(ctx, &st.group.inserts, st.group.window, itemKey(item), item)
}

// insertBatch creates items with PartiQL INSERTs in one BatchExecuteStatement
// (at most 25), retrying the statements that failed for throughput or
// server reasons; a statement on an existing key answers errItemExists.
func (st *Store) insertBatch(ctx context.Context, items []map[string]types.AttributeValue) []error {
	errs := make([]error, len(items))
	pending := make([]int, len(items))
	for i := range pending {
		pending[i] = i
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, backoff(attempt)); err != nil {
				for _, i := range pending {
					errs[i] = err
				}
				return errs
			}
		}
		in := &dynamodb.BatchExecuteStatementInput{ReturnConsumedCapacity: capacity}
		for _, i := range pending {
			in.Statements = append(in.Statements, insertStatement(st.table, items[i]))
		}
		res, err := st.db.BatchExecuteStatement(ctx, in)
		if err == nil && len(res.Responses) != len(pending) {
			err = fmt.Errorf("%d answers for %d statements", len(res.Responses), len(pending))
		}
		if err != nil {
			for _, i := range pending {
				errs[i] = fmt.Errorf("insert %d items: %w", len(pending), err)
			}
			return errs
		}
		var again []int
		for j, r := range res.Responses {
			i := pending[j]
			switch {
			case r.Error == nil:
				errs[i] = nil
			case r.Error.Code == types.BatchStatementErrorCodeEnumDuplicateItem || r.Error.Code == types.BatchStatementErrorCodeEnumConditionalCheckFailed:
				errs[i] = errItemExists
			case retryableStatement(r.Error.Code) && attempt < 8:
				again = append(again, i)
			default:
				errs[i] = fmt.Errorf("insert item: %s: %s", r.Error.Code, aws.ToString(r.Error.Message))
			}
		}
		pending = again
	}
	return errs
}

// retryableStatement: the statement may succeed if sent again.
func retryableStatement(code types.BatchStatementErrorCodeEnum) bool {
	switch code {
	case "ProvisionedThroughputExceeded", "RequestLimitExceeded", "ThrottlingError", "InternalServerError", "TransactionConflict":
		return true
	}
	return false
}

// insertStatement is `INSERT INTO "table" VALUE {'pk': ?, 'sk': ?, ...}`
// with the item's values as parameters, the partition key first (the local
// IAM check, access.go, reads it there), the others in name order.
func insertStatement(table string, item map[string]types.AttributeValue) types.BatchStatementRequest {
	names := make([]string, 0, len(item))
	for k := range item {
		if k != attrPK {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	names = append([]string{attrPK}, names...)
	var b strings.Builder
	b.WriteString(`INSERT INTO "`)
	b.WriteString(strings.ReplaceAll(table, `"`, `""`))
	b.WriteString(`" VALUE {`)
	params := make([]types.AttributeValue, 0, len(names))
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'")
		b.WriteString(strings.ReplaceAll(k, "'", "''"))
		b.WriteString("': ?")
		params = append(params, item[k])
	}
	b.WriteString("}")
	return types.BatchStatementRequest{Statement: aws.String(b.String()), Parameters: params}
}
