package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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
	// An event moved out of a profile item can be in both places for a
	// moment (see CommitEvents), and a failed attempt's chunk can repeat a
	// later one: each message id is taken once.
	seen := map[string]bool{}
	recent, err := st.recent(ctx, contactIDs)
	if err != nil {
		return nil, err
	}
	for _, id := range contactIDs {
		msgs, err := st.partitionEvents(ctx, id, before, limit)
		if err != nil {
			return nil, err
		}
		// Kept events are stored oldest first; reversed, events with the
		// same timestamp list the last sent first, as chunks do.
		kept := slices.Clone(recent[id].events)
		slices.Reverse(kept)
		for _, m := range slices.Concat(kept, msgs) {
			if !before.IsZero() && m.Timestamp.After(before) {
				continue
			}
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

// recentOf is what a profile item holds of the timeline (Profile.Recent).
type recentOf struct {
	events  []tracking.Message
	changes []scoring.Change
}

// recent reads the events kept in the profile items of the given contacts
// (strongly consistent, as the chunks they move to are written first).
func (st *Store) recent(ctx context.Context, contactIDs []string) (map[string]recentOf, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(contactIDs))
	for _, id := range contactIDs {
		keys = append(keys, key(contactPK(id), skProfile))
	}
	items, err := st.batchGet(ctx, keys, true)
	if err != nil {
		return nil, fmt.Errorf("read recent events: %w", err)
	}
	out := map[string]recentOf{}
	for _, it := range items {
		_, parts, err := profileParts(it)
		if err != nil {
			return nil, fmt.Errorf("decompress profile %s: %w", str(it, attrPK), err)
		}
		msgs, changes, err := parts.decode()
		if err != nil {
			return nil, fmt.Errorf("decode recent events of %s: %w", str(it, attrPK), err)
		}
		out[contactIDFromPK(str(it, attrPK))] = recentOf{msgs, changes}
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
	reqs := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	if err := st.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// batchWrite makes the writes with BatchWriteItem, 25 a call, retrying
// what DynamoDB leaves unprocessed with back-off.
func (st *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for start := 0; start < len(reqs); start += 25 {
		end := min(start+25, len(reqs))
		pending := map[string][]types.WriteRequest{st.table: reqs[start:end]}
		for attempt := 0; len(pending[st.table]) > 0; attempt++ {
			if attempt > 8 {
				return fmt.Errorf("%d items still unprocessed after retries", len(pending[st.table]))
			}
			if attempt > 0 {
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return err
				}
			}
			res, err := st.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending, ReturnConsumedCapacity: capacity})
			if err != nil {
				return fmt.Errorf("write %d items: %w", len(pending[st.table]), err)
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
	// Each change once, as Timeline takes each event once.
	seen := map[scoring.Change]bool{}
	add := func(c scoring.Change, what map[string]string) {
		k := c
		k.At = time.Unix(0, c.At.UnixNano()).UTC()
		if !seen[k] {
			seen[k] = true
			out = append(out, ScoredChange{Change: c, Event: what[c.MessageID]})
		}
	}
	recent, err := st.recent(ctx, contactIDs)
	if err != nil {
		return nil, err
	}
	for _, id := range contactIDs {
		what := map[string]string{}
		for _, m := range recent[id].events {
			what[m.MessageID] = describe(m)
		}
		for _, c := range recent[id].changes {
			add(c, what)
		}
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
					add(c, what)
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

// oneUnit is the largest item DynamoDB bills as one write unit.
const oneUnit = 1024

// maxRecent bounds the events CommitEvents tries to keep in a profile item:
// a visit's events compress to ~100 B each, so more never fit.
const maxRecent = 32

// writeUnits is what writing an item of size bytes costs.
func writeUnits(size int) int { return max(1, (size+oneUnit-1)/oneUnit) }

// itemSize is an item's size as DynamoDB bills it: names and values, a
// number counted at its decimal length plus one (an upper bound).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberB:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value) + 1
		default:
			n += oneUnit // a profile item has no other kinds: never "fits"
		}
	}
	return n
}

// CommitEvents implements contact.Store. DynamoDB bills a write by the
// item's size in started KB, and a visit's events (~500 B compressed) and
// the profile (~450 B) are each well under 1 KB: written as two items they
// cost two units, as one item often one. So the newest events stay in the
// profile's own item (p.Recent, formatJointV1) while the item fits in the
// units the profile costs alone: one unit for most, two for one over 1 KB
// by itself. When the new events do not fit beside the kept ones, the oldest
// of them all (kept first, then new) move to one chunk: as many as fill
// it to one unit while the rest fit in the profile item, so the next
// visits find room; if no split gives two single-unit items, the fewest
// that let the profile item fit. A batch too large to keep goes to a
// chunk with everything kept.
//
// A chunk that holds only kept events needs no commit: they were committed
// by the profile write that kept them (a chunk with none counts as applied;
// its key derives from their ids, so writing it again rewrites it). One
// that holds new events names the commit, and only then does p.LastCommit
// move. Either is written before the profile write that drops its events:
// if that write fails on a conflict, kept events are in both places until
// the retry, and readers take each message id once (Timeline,
// ScoreHistory).
func (st *Store) CommitEvents(ctx context.Context, p *contact.Profile, commit contact.Commit, msgs []tracking.Message, changes []scoring.Change) error {
	kept, keptScores, last := p.Recent, p.RecentScores, p.LastCommit
	all := append(slices.Clip(kept), msgs...)
	allScores := append(slices.Clip(keptScores), changes...)
	restore := func(err error) error {
		p.Recent, p.RecentScores, p.LastCommit = kept, keptScores, last
		return err
	}
	// split is the plan that moves all[:k] to a chunk and keeps the rest.
	type split struct {
		chunk contact.Commit // of the chunk: none if it holds only kept events
		item  map[string]types.AttributeValue
		size  int // of the profile item
	}
	profileAt := func(k int) (split, error) {
		var sp split
		if k > len(kept) {
			sp.chunk = commit
		}
		rest := all[k:]
		p.Recent, p.RecentScores, p.LastCommit = rest, changesFor(allScores, messageIDs(rest)), last
		if sp.chunk.ID != 0 {
			p.LastCommit = commit.ID
		}
		item, err := profileItem(p)
		if err != nil {
			return sp, err
		}
		sp.item, sp.size = item, itemSize(item)
		return sp, nil
	}
	// limit is what the profile item may grow to with kept events: the
	// units it costs anyway. Most profiles are under 1 KB alone, and
	// then one unit; one over 1 KB on its own (an identified contact with
	// traits, scores and segment state) is billed two whatever it keeps,
	// so the second unit holds the newest events for free instead of a
	// chunk write per commit. Set below once the profile alone is known.
	limit := oneUnit
	fits := func(sp split, k int) bool { return k == len(all) || sp.size <= limit }
	chunkSize := func(k int) (int, error) {
		events := all[:k]
		raw := make([]json.RawMessage, len(events))
		var newest time.Time
		for i, m := range events {
			b, err := marshalEvent(m)
			if err != nil {
				return 0, fmt.Errorf("encode event %s: %w", m.MessageID, err)
			}
			raw[i] = b
			if m.Timestamp.After(newest) {
				newest = m.Timestamp
			}
		}
		c := contact.Commit{}
		if k > len(kept) {
			c = commit
		}
		ids := messageIDs(events)
		item, err := st.chunkItem(p.ID, c, 0, raw, newest, ids, changesFor(allScores, ids))
		if err != nil {
			return 0, err
		}
		return itemSize(item), nil
	}

	// The least k (events moved) that lets the profile item fit; 0 when
	// everything fits in it, len(all) when nothing can stay.
	lo := max(0, len(all)-maxRecent)
	if len(msgs) > maxRecent {
		lo = len(all)
	}
	// Most commits keep everything (or, for a large batch, nothing): try
	// that first, then search for the least k that fits.
	best, err := profileAt(lo)
	if err != nil {
		return restore(err)
	}
	if best.size > oneUnit && lo < len(all) {
		bare, err := profileAt(len(all))
		if err != nil {
			return restore(err)
		}
		limit = writeUnits(bare.size) * oneUnit
	}
	k := lo
	if !fits(best, lo) {
		k = -1
		for a, b := lo+1, len(all); a <= b; {
			mid := (a + b) / 2
			sp, err := profileAt(mid)
			if err != nil {
				return restore(err)
			}
			if fits(sp, mid) {
				best, k, b = sp, mid, mid-1
			} else {
				a = mid + 1
			}
		}
	}
	if k > 0 && k < len(all) {
		// Fill the chunk: the most events that fit in one unit, if the
		// profile item still fits with the rest.
		if size, err := chunkSize(k); err != nil {
			return restore(err)
		} else if size <= oneUnit {
			for a, b := k+1, len(all); a <= b; {
				mid := (a + b) / 2
				size, err := chunkSize(mid)
				if err != nil {
					return restore(err)
				}
				if size > oneUnit {
					b = mid - 1
					continue
				}
				sp, err := profileAt(mid)
				if err != nil {
					return restore(err)
				}
				if !fits(sp, mid) {
					b = mid - 1
					continue
				}
				best, k, a = sp, mid, mid+1
			}
		}
	}
	if k > 0 {
		moved := all[:k]
		if err := st.PutEvents(ctx, p.ID, best.chunk, moved, changesFor(allScores, messageIDs(moved))); err != nil {
			return restore(fmt.Errorf("move %d events of %s to a chunk: %w", k, p.ID, err))
		}
	}
	rest := all[k:]
	p.Recent, p.RecentScores, p.LastCommit = rest, changesFor(allScores, messageIDs(rest)), last
	if best.chunk.ID != 0 {
		p.LastCommit = commit.ID
	}
	if err := st.putProfile(ctx, p, best.item); err != nil {
		return restore(err)
	}
	return nil
}

func messageIDs(msgs []tracking.Message) []string {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.MessageID
	}
	return ids
}
