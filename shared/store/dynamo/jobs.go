package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/job"
)

var _ job.Checkpoints = (*Store)(nil)

// StartRun writes a run's item afresh: zero counts, no shard cursors.
func (st *Store) StartRun(ctx context.Context, kind, id string, shards int, at time.Time) error {
	item := key(jobRunPK(kind, id), skJobRun)
	item["kind"], item["id"] = s(kind), s(id)
	item["shards"], item["shards_done"], item["visited"], item["changed"] = n(int64(shards)), n(0), n(0), n(0)
	item["started_at"], item["updated_at"] = s(at.UTC().Format(time.RFC3339Nano)), s(at.UTC().Format(time.RFC3339Nano))
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item}); err != nil {
		return fmt.Errorf("start %s run %s: %w", kind, id, err)
	}
	return nil
}

// Checkpoint is one conditional update: the shard's cursor must still be
// the page's own, so counting and moving on happen once per page.
func (st *Store) Checkpoint(ctx context.Context, kind, id string, shard int, cursor, next string, visited, changed int, at time.Time) (bool, error) {
	cond := "attribute_exists(pk) AND attribute_not_exists(#c)"
	vals := map[string]types.AttributeValue{
		":v": n(int64(visited)), ":ch": n(int64(changed)), ":at": s(at.UTC().Format(time.RFC3339Nano)),
		":d": n(0), ":next": s(next),
	}
	if cursor != "" {
		cond = "#c = :cur"
		vals[":cur"] = s(cursor)
	}
	if next == "" {
		vals[":d"], vals[":next"] = n(1), s(shardCursorDone)
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(jobRunPK(kind, id), skJobRun),
		UpdateExpression:          aws.String("SET #c = :next, updated_at = :at ADD visited :v, changed :ch, shards_done :d"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#c": jobShardAttr(shard)},
		ExpressionAttributeValues: vals,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checkpoint %s run %s shard %d: %w", kind, id, shard, err)
	}
	return true, nil
}

// GetRun reads a run's progress.
func (st *Store) GetRun(ctx context.Context, kind, id string) (job.Run, bool, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.table), Key: key(jobRunPK(kind, id), skJobRun), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return job.Run{}, false, fmt.Errorf("get %s run %s: %w", kind, id, err)
	}
	if out.Item == nil {
		return job.Run{}, false, nil
	}
	it := out.Item
	r := job.Run{Kind: kind, ID: id, Shards: int(num(it, "shards")), ShardsDone: int(num(it, "shards_done")), Visited: int(num(it, "visited")), Changed: int(num(it, "changed"))}
	r.StartedAt, _ = time.Parse(time.RFC3339Nano, str(it, "started_at"))
	r.UpdatedAt, _ = time.Parse(time.RFC3339Nano, str(it, "updated_at"))
	return r, true, nil
}

// maxCount bounds CountContacts: past it, "more than" is enough for a
// notice, and the read stays cheap however large the list grows.
const maxCount = 100_000

// CountContacts counts the identified contacts (the contacts index, one
// COUNT query per shard, keys only), up to maxCount; capped is true when
// there are more. It is what a change of the scoring model re-scores.
func (st *Store) CountContacts(ctx context.Context) (count int, capped bool, err error) {
	for shard := 0; shard < contactShards; shard++ {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			IndexName:                 aws.String(gsi1),
			KeyConditionExpression:    aws.String("gsi1pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(fmt.Sprintf("CONTACTS#%d", shard))},
			Select:                    types.SelectCount,
		}
		for {
			res, err := st.db.Query(ctx, in)
			if err != nil {
				return 0, false, fmt.Errorf("count contacts shard %d: %w", shard, err)
			}
			count += int(res.Count)
			if count > maxCount {
				return maxCount, true, nil
			}
			if res.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = res.LastEvaluatedKey
		}
	}
	return count, false, nil
}
