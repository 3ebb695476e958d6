package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Timeline returns up to limit events of the given contact partitions (a
// contact and those merged into it), newest first, at or before before when
// it is set (inclusive, so a caller paging by time can skip past ties). Each partition is read newest-first only as far as
// needed.
func (st *Store) Timeline(ctx context.Context, contactIDs []string, before time.Time, limit int) ([]tracking.Message, error) {
	var out []tracking.Message
	seen := map[string]bool{}
	for _, id := range contactIDs {
		msgs, err := st.partitionEvents(ctx, id, before, limit)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if !seen[m.MessageID] {
				seen[m.MessageID] = true
				out = append(out, m)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp.After(out[j].Timestamp) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// partitionEvents reads one partition's chunks newest first. A chunk's sort
// key is its newest event, so chunks keyed at or after before may still
// hold older events; they are read and filtered.
func (st *Store) partitionEvents(ctx context.Context, contactID string, before time.Time, limit int) ([]tracking.Message, error) {
	var out []tracking.Message
	var startKey map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :e)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(contactPK(contactID)), ":e": s(prefixEvt)},
			ScanIndexForward:          aws.Bool(false),
			Limit:                     aws.Int32(25),
			ExclusiveStartKey:         startKey,
			ReturnConsumedCapacity:    capacity,
		})
		if err != nil {
			return nil, fmt.Errorf("query events of %s: %w", contactID, err)
		}
		for _, it := range res.Items {
			msgs, err := decodeChunk(bin(it, "z"))
			if err != nil {
				return nil, fmt.Errorf("decode events of %s (%s): %w", contactID, str(it, attrSK), err)
			}
			for i := len(msgs) - 1; i >= 0; i-- {
				if before.IsZero() || !msgs[i].Timestamp.After(before) {
					out = append(out, msgs[i])
				}
			}
		}
		startKey = res.LastEvaluatedKey
		if startKey == nil || len(out) >= limit {
			return out, nil
		}
	}
}

// EraseContact deletes for good everything stored about the given contacts
// (a contact and those merged into it): profiles, timeline chunks, and the
// identity links that point at them. It is idempotent, so a failed erasure
// is simply run again.
func (st *Store) EraseContact(ctx context.Context, contactIDs []string, ids []contact.Identity) (int, error) {
	var keys []map[string]types.AttributeValue
	for _, id := range contactIDs {
		var startKey map[string]types.AttributeValue
		for {
			res, err := st.db.Query(ctx, &dynamodb.QueryInput{
				TableName:                 aws.String(st.table),
				KeyConditionExpression:    aws.String("pk = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(contactPK(id))},
				ProjectionExpression:      aws.String("pk, sk"),
				ExclusiveStartKey:         startKey,
			})
			if err != nil {
				return 0, fmt.Errorf("list items of %s: %w", id, err)
			}
			for _, it := range res.Items {
				keys = append(keys, key(str(it, attrPK), str(it, attrSK)))
			}
			if startKey = res.LastEvaluatedKey; startKey == nil {
				break
			}
		}
	}
	owned := map[string]bool{}
	for _, id := range contactIDs {
		owned[id] = true
	}
	if len(ids) > 0 {
		idKeys := make([]map[string]types.AttributeValue, 0, len(ids))
		for _, id := range ids {
			idKeys = append(idKeys, key(identityPK(id), skIdentity))
		}
		items, err := st.batchGet(ctx, idKeys, true)
		if err != nil {
			return 0, fmt.Errorf("read identity links: %w", err)
		}
		for _, it := range items {
			// Only links that still point at this person: an address later
			// used by someone else is theirs.
			if owned[str(it, "c")] {
				keys = append(keys, key(str(it, attrPK), skIdentity))
			}
		}
	}
	if err := st.batchDelete(ctx, keys); err != nil {
		return 0, err
	}
	return len(keys), nil
}

func (st *Store) batchDelete(ctx context.Context, keys []map[string]types.AttributeValue) error {
	for start := 0; start < len(keys); start += 25 {
		end := min(start+25, len(keys))
		var reqs []types.WriteRequest
		for _, k := range keys[start:end] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
		}
		pending := map[string][]types.WriteRequest{st.table: reqs}
		for attempt := 0; len(pending[st.table]) > 0; attempt++ {
			if attempt > 8 {
				return fmt.Errorf("delete: %d items still unprocessed after retries", len(pending[st.table]))
			}
			if attempt > 0 {
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return err
				}
			}
			res, err := st.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("delete %d items: %w", len(pending[st.table]), err)
			}
			pending = res.UnprocessedItems
		}
	}
	return nil
}

// ScoredChange is a score change with the event that caused it.
type ScoredChange struct {
	scoring.Change
	Event string `json:"event"`
}

// ScoreHistory returns up to limit score changes of the given contact
// partitions, newest first, each with a short description of its event.
// Changes ride in the timeline chunks (attribute sc), so they cost no write
// of their own.
func (st *Store) ScoreHistory(ctx context.Context, contactIDs []string, limit int) ([]ScoredChange, error) {
	var out []ScoredChange
	for _, id := range contactIDs {
		var startKey map[string]types.AttributeValue
		for pages := 0; pages < 40; pages++ {
			res, err := st.db.Query(ctx, &dynamodb.QueryInput{
				TableName:                 aws.String(st.table),
				KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :e)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(contactPK(id)), ":e": s(prefixEvt)},
				ScanIndexForward:          aws.Bool(false),
				Limit:                     aws.Int32(25),
				ExclusiveStartKey:         startKey,
				ReturnConsumedCapacity:    capacity,
			})
			if err != nil {
				return nil, fmt.Errorf("query score history of %s: %w", id, err)
			}
			for _, it := range res.Items {
				sc := bin(it, "sc")
				if len(sc) == 0 {
					continue
				}
				var changes []scoring.Change
				if err := decodeGzipJSON(sc, &changes); err != nil {
					return nil, fmt.Errorf("decode score history of %s: %w", id, err)
				}
				msgs, err := decodeChunk(bin(it, "z"))
				if err != nil {
					return nil, fmt.Errorf("decode events of %s: %w", id, err)
				}
				what := map[string]string{}
				for _, m := range msgs {
					what[m.MessageID] = describe(m)
				}
				for _, c := range changes {
					out = append(out, ScoredChange{Change: c, Event: what[c.MessageID]})
				}
			}
			if startKey = res.LastEvaluatedKey; startKey == nil || len(out) >= limit {
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func describe(m tracking.Message) string {
	switch m.Type {
	case tracking.TypeTrack:
		return m.Event
	case tracking.TypePage, tracking.TypeScreen:
		if m.Context.Page != nil && m.Context.Page.Path != "" {
			return m.Type + " " + m.Context.Page.Path
		}
		if m.Context.Page != nil {
			return m.Type + " " + m.Context.Page.URL
		}
	}
	return m.Type
}

// decodeGzipJSON reads a compressed JSON attribute in any format this
// package has written (gzip, or a dictionary codec).
func decodeGzipJSON(z []byte, v any) error {
	raw, err := inflate(eventCodecs, z)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
