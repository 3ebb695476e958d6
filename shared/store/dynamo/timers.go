package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/timer"
)

var _ timer.Store = (*Store)(nil)

// Attributes of a timer item; id and due time are in the sort key.
const (
	attrTimerContact = "c"
	attrTimerEvent   = "e"
	attrTimerProps   = "p"
	attrTimerCursor  = "b"
	attrTimerRoute   = "rt"
	attrTimerMark    = "m"
	// batchWriteMax is DynamoDB's limit of requests per BatchWriteItem.
	batchWriteMax = 25
)

// PutTimer implements timer.Store. The key is derived from the due time and
// id alone, so writing the same timer again overwrites it: no condition
// (and no read) is needed to stay idempotent.
func (st *Store) PutTimer(ctx context.Context, t timer.Timer) error {
	item := key(timerPK(timer.BucketOf(t.Due), t.Shard), timerSK(t.Due, t.ID))
	item[attrTimerContact] = s(t.ContactID)
	item[attrTimerEvent] = s(t.Event)
	if t.Route != "" {
		item[attrTimerRoute] = s(t.Route)
	}
	if len(t.Properties) > 0 {
		p, err := json.Marshal(t.Properties)
		if err != nil {
			return fmt.Errorf("encode properties of timer %s: %w", t.ID, err)
		}
		item[attrTimerProps] = s(string(p))
	}
	item[attrTTL] = n(t.Due.Add(timerSafetyTTL).Unix())
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item}); err != nil {
		return fmt.Errorf("put timer %s due %s: %w", t.ID, t.Due.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// DueTimers implements timer.Store: one Query of the bucket's shard after
// the given position, in due order. Reads are strongly consistent because
// the wheel pages a late shard by deleting what it fired and reading again,
// and a timer stored just before the read must be in it; an eventually
// consistent read could miss either. It follows LastEvaluatedKey until
// limit items are read, since a short page means "no more" to the wheel and
// DynamoDB cuts pages at 1 MB.
func (st *Store) DueTimers(ctx context.Context, bucket time.Time, shard int, after timer.Position, limit int) ([]timer.Timer, error) {
	pk := timerPK(bucket, shard)
	cond, vals := "pk = :pk", map[string]types.AttributeValue{":pk": s(pk)}
	if !after.IsZero() {
		cond += " AND sk > :after"
		vals[":after"] = s(timerSK(after.Due, after.ID))
	}
	var out []timer.Timer
	var startKey map[string]types.AttributeValue
	for len(out) < limit {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String(cond),
			ExpressionAttributeValues: vals,
			ConsistentRead:            aws.Bool(true),
			ScanIndexForward:          aws.Bool(true),
			Limit:                     aws.Int32(int32(limit - len(out))),
			ExclusiveStartKey:         startKey,
		})
		if err != nil {
			return nil, fmt.Errorf("query timers %s: %w", pk, err)
		}
		for _, it := range res.Items {
			t, err := decodeTimer(it)
			if err != nil {
				return nil, fmt.Errorf("decode timer in %s: %w", pk, err)
			}
			t.Shard = shard
			out = append(out, t)
		}
		startKey = res.LastEvaluatedKey
		if startKey == nil {
			break
		}
	}
	return out, nil
}

func decodeTimer(it map[string]types.AttributeValue) (timer.Timer, error) {
	due, id, err := parseTimerSK(str(it, attrSK))
	if err != nil {
		return timer.Timer{}, err
	}
	t := timer.Timer{ID: id, ContactID: str(it, attrTimerContact), Event: str(it, attrTimerEvent), Due: due, Route: str(it, attrTimerRoute)}
	if p := str(it, attrTimerProps); p != "" {
		if err := json.Unmarshal([]byte(p), &t.Properties); err != nil {
			return timer.Timer{}, fmt.Errorf("properties of timer %s: %w", id, err)
		}
	}
	return t, nil
}

// DeleteTimers implements timer.Store with BatchWriteItem, 25 deletes a
// call, retrying unprocessed items with backoff (they are what DynamoDB
// returns instead of an error when a partition is throttled).
func (st *Store) DeleteTimers(ctx context.Context, ts []timer.Timer) error {
	if len(ts) == 0 {
		return nil
	}
	for start := 0; start < len(ts); start += batchWriteMax {
		end := min(start+batchWriteMax, len(ts))
		reqs := make([]types.WriteRequest, 0, end-start)
		for _, t := range ts[start:end] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
				Key: key(timerPK(timer.BucketOf(t.Due), t.Shard), timerSK(t.Due, t.ID)),
			}})
		}
		pending := map[string][]types.WriteRequest{st.table: reqs}
		for attempt := 0; len(pending[st.table]) > 0; attempt++ {
			if attempt > 0 {
				if attempt > 8 {
					return fmt.Errorf("delete timers: %d deletes still unprocessed after retries", len(pending[st.table]))
				}
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return fmt.Errorf("delete timers: %w", err)
				}
			}
			res, err := st.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("delete %d timers: %w", len(pending[st.table]), err)
			}
			pending = res.UnprocessedItems
		}
	}
	return nil
}

// Marks implements timer.Store: one strongly consistent Query of the
// bucket's mark partition (one small item per shard that has fired), so
// a tick sees the marks the previous one set.
func (st *Store) Marks(ctx context.Context, bucket time.Time) (map[int]timer.Position, error) {
	pk := timerMarkPK(bucket)
	out := map[int]timer.Position{}
	var startKey map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk)},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         startKey,
		})
		if err != nil {
			return nil, fmt.Errorf("query timer marks %s: %w", pk, err)
		}
		for _, it := range res.Items {
			shard, err := strconv.Atoi(str(it, attrSK))
			if err != nil {
				return nil, fmt.Errorf("timer mark %s/%q: shard is not a number", pk, str(it, attrSK))
			}
			due, id, err := parseTimerSK(str(it, attrTimerMark))
			if err != nil {
				return nil, fmt.Errorf("timer mark %s/%d: %w", pk, shard, err)
			}
			out[shard] = timer.Position{Due: due, ID: id}
		}
		if startKey = res.LastEvaluatedKey; startKey == nil {
			return out, nil
		}
	}
}

// SetMark implements timer.Store. Like SetCursor, the condition only lets
// a mark move forward (the sort key format is in due order): a slower
// overlapping tick must not make the next one fire a page again.
func (st *Store) SetMark(ctx context.Context, bucket time.Time, shard int, p timer.Position) error {
	v := timerSK(p.Due, p.ID)
	item := key(timerMarkPK(bucket), strconv.Itoa(shard))
	item[attrTimerMark] = s(v)
	item[attrTTL] = n(bucket.Add(timerSafetyTTL).Unix())
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(st.table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR #m < :m"),
		ExpressionAttributeNames:  map[string]string{"#m": attrTimerMark},
		ExpressionAttributeValues: map[string]types.AttributeValue{":m": s(v)},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("set timer mark %s/%d to %s: %w", timerMarkPK(bucket), shard, v, err)
	}
	return nil
}

// Cursor implements timer.Store. The read is strongly consistent so a tick
// right after another sees its progress.
func (st *Store) Cursor(ctx context.Context) (time.Time, bool, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(st.table),
		Key:            key(timerCursorKey, timerCursorKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("get timer cursor: %w", err)
	}
	if res.Item == nil {
		return time.Time{}, false, nil
	}
	c, err := parseTimerCursor(str(res.Item, attrTimerCursor))
	if err != nil {
		return time.Time{}, false, err
	}
	return c, true, nil
}

// SetCursor implements timer.Store. The condition only lets the cursor move
// forward: ticks can overlap (the scheduler delivers at least once), and a
// slower one finishing last must not send the wheel back over fired buckets.
// The fixed-width UTC format makes string order time order.
func (st *Store) SetCursor(ctx context.Context, bucket time.Time) error {
	v := formatTimerCursor(bucket)
	item := key(timerCursorKey, timerCursorKey)
	item[attrTimerCursor] = s(v)
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(st.table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR #c < :c"),
		ExpressionAttributeNames:  map[string]string{"#c": attrTimerCursor},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": s(v)},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("set timer cursor to %s: %w", v, err)
	}
	return nil
}
