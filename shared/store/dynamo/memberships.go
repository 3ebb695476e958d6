package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/membership"
)

var _ membership.Store = (*Store)(nil)

// Attributes of membership items.
const (
	attrMemberAt    = "t"  // member since / count changed at
	attrMemberN     = "n"  // shard count
	attrMemberState = "st" // building, ready
	attrMemberBuild = "b"  // build id
	attrMemberDone  = "ds" // shards a build finished (number set)
)

// SetMember implements membership.Store: one transaction puts (or deletes)
// the member item on the condition that it did not (did) exist and moves
// the shard's count, so a repeated call cancels and counts nothing.
func (st *Store) SetMember(ctx context.Context, r membership.Ref, contactID string, in bool, at time.Time) (bool, error) {
	shard := membership.ShardOf(contactID)
	item := key(memberPK(r, shard), contactID)
	var write types.TransactWriteItem
	delta := "1"
	if in {
		item[attrMemberAt] = s(at.UTC().Format(time.RFC3339))
		write.Put = &types.Put{TableName: aws.String(st.table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}
	} else {
		delta = "-1"
		write.Delete = &types.Delete{TableName: aws.String(st.table), Key: item, ConditionExpression: aws.String("attribute_exists(pk)")}
	}
	_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{write, {Update: &types.Update{
			TableName:                 aws.String(st.table),
			Key:                       key(memberCountPK(r), memberCountSK(shard)),
			UpdateExpression:          aws.String("ADD n :d SET t = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: delta}, ":t": s(at.UTC().Format(time.RFC3339Nano))},
		}}},
		ReturnConsumedCapacity: capacity,
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 && aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("set member %s of %s (%v): %w", contactID, r, in, err)
	}
	return true, nil
}

// Members implements membership.Store: a Query per shard, in order. The
// cursor is "<shard>.<base64 of the last contact id>".
func (st *Store) Members(ctx context.Context, r membership.Ref, cursor string, limit int) ([]string, string, error) {
	if limit <= 0 {
		limit = 100
	}
	shard, after, err := parseMemberCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	var out []string
	for ; shard < membership.Shards; shard, after = shard+1, "" {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(memberPK(r, shard))},
			ProjectionExpression:      aws.String("sk"),
		}
		if after != "" {
			in.ExclusiveStartKey = key(memberPK(r, shard), after)
		}
		for {
			in.Limit = aws.Int32(int32(limit - len(out)))
			res, err := st.db.Query(ctx, in)
			if err != nil {
				return nil, "", fmt.Errorf("members of %s shard %d: %w", r, shard, err)
			}
			for _, it := range res.Items {
				out = append(out, str(it, attrSK))
			}
			if len(out) >= limit {
				if res.LastEvaluatedKey == nil && shard == membership.Shards-1 {
					return out, "", nil
				}
				if res.LastEvaluatedKey == nil {
					return out, memberCursor(shard+1, ""), nil
				}
				return out, memberCursor(shard, out[len(out)-1]), nil
			}
			if res.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = res.LastEvaluatedKey
		}
	}
	return out, "", nil
}

func memberCursor(shard int, after string) string {
	return strconv.Itoa(shard) + "." + base64.RawURLEncoding.EncodeToString([]byte(after))
}

func parseMemberCursor(c string) (int, string, error) {
	if c == "" {
		return 0, "", nil
	}
	sh, rest, ok := strings.Cut(c, ".")
	shard, err := strconv.Atoi(sh)
	after, err2 := base64.RawURLEncoding.DecodeString(rest)
	if !ok || err != nil || err2 != nil || shard < 0 || shard >= membership.Shards {
		return 0, "", fmt.Errorf("member cursor %q: %w", c, membership.ErrBadCursor)
	}
	return shard, string(after), nil
}

// IsMember implements membership.Store.
func (st *Store) IsMember(ctx context.Context, r membership.Ref, contactID string) (bool, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.table),
		Key: key(memberPK(r, membership.ShardOf(contactID)), contactID), ProjectionExpression: aws.String("pk")})
	if err != nil {
		return false, fmt.Errorf("is %s in %s: %w", contactID, r, err)
	}
	return res.Item != nil, nil
}

// Status implements membership.Store: one Query of the count partition
// (16 small counters and the state item).
func (st *Store) Status(ctx context.Context, r membership.Ref) (membership.Status, error) {
	res, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(st.table),
		KeyConditionExpression:    aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(memberCountPK(r))},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return membership.Status{}, fmt.Errorf("status of %s: %w", r, err)
	}
	out := membership.Status{State: membership.StateReady}
	for _, it := range res.Items {
		if str(it, attrSK) == memberStateSK {
			out.State, out.Build = str(it, attrMemberState), str(it, attrMemberBuild)
			if ns, ok := it[attrMemberDone].(*types.AttributeValueMemberNS); ok {
				out.ShardsDone = len(ns.Value)
			}
			continue
		}
		out.Count += num(it, attrMemberN)
		if t, err := time.Parse(time.RFC3339Nano, str(it, attrMemberAt)); err == nil && t.After(out.ChangedAt) {
			out.ChangedAt = t
		}
	}
	// The processor's parts of the count, in the shared count items.
	shared, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(st.table),
		KeyConditionExpression:    aws.String("pk = :p"),
		ProjectionExpression:      aws.String("#c, #t"),
		ExpressionAttributeNames:  map[string]string{"#c": memberCountsAttr(r), "#t": memberCountsAtAttr(r)},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(memberCountsPK)},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return membership.Status{}, fmt.Errorf("shared counts of %s: %w", r, err)
	}
	for _, it := range shared.Items {
		out.Count += num(it, memberCountsAttr(r))
		if ms := num(it, memberCountsAtAttr(r)); ms > 0 {
			if t := time.UnixMilli(ms).UTC(); t.After(out.ChangedAt) {
				out.ChangedAt = t
			}
		}
	}
	return out, nil
}

// StartBuild implements membership.Store.
func (st *Store) StartBuild(ctx context.Context, r membership.Ref, build string, at time.Time) error {
	item := key(memberCountPK(r), memberStateSK)
	item[attrMemberState], item[attrMemberBuild], item[attrMemberAt] = s(membership.StateBuilding), s(build), s(at.UTC().Format(time.RFC3339Nano))
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item}); err != nil {
		return fmt.Errorf("start build %s of %s: %w", build, r, err)
	}
	return nil
}

// ShardBuilt implements membership.Store: ADD the shard to the build's set
// (only while the build is current), then mark it ready when complete.
func (st *Store) ShardBuilt(ctx context.Context, r membership.Ref, build string, shard, shards int) (membership.Status, error) {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(memberCountPK(r), memberStateSK),
		UpdateExpression:          aws.String("ADD ds :s"),
		ConditionExpression:       aws.String("b = :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberNS{Value: []string{strconv.Itoa(shard)}}, ":b": s(build)},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return membership.Status{}, fmt.Errorf("shard %d of build %s of %s: %w", shard, build, r, err)
	}
	status, err := st.Status(ctx, r)
	if err != nil || status.Build != build || status.ShardsDone < shards || status.State == membership.StateReady {
		return status, err
	}
	_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(memberCountPK(r), memberStateSK),
		UpdateExpression:          aws.String("SET st = :r"),
		ConditionExpression:       aws.String("b = :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":r": s(membership.StateReady), ":b": s(build)},
	})
	if err != nil && !errors.As(err, &ccf) {
		return status, fmt.Errorf("mark build %s of %s ready: %w", build, r, err)
	}
	status.State = membership.StateReady
	return status, nil
}

// MarkMember implements membership.Store: one unconditional PutItem or
// DeleteItem of the member item (1 WRU), no count.
func (st *Store) MarkMember(ctx context.Context, r membership.Ref, contactID string, in bool, at time.Time) error {
	k := key(memberPK(r, membership.ShardOf(contactID)), contactID)
	var err error
	if in {
		k[attrMemberAt] = s(at.UTC().Format(time.RFC3339))
		err = st.putUnconditional(ctx, k)
	} else {
		err = st.deleteUnconditional(ctx, k)
	}
	if err != nil {
		return fmt.Errorf("mark member %s of %s (%v): %w", contactID, r, in, err)
	}
	return nil
}

// AddCount is one UpdateItem ADD on a segment's or list's own count shard,
// the same item SetMember moves (AddCounts for a single delta, Seed).
func (st *Store) AddCount(ctx context.Context, r membership.Ref, shard int, delta int64, at time.Time) error {
	if shard < 0 || shard >= membership.Shards {
		return fmt.Errorf("count shard %d of %s: out of range", shard, r)
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(memberCountPK(r), memberCountSK(shard)),
		UpdateExpression:          aws.String("ADD n :d SET t = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: strconv.FormatInt(delta, 10)}, ":t": s(at.UTC().Format(time.RFC3339Nano))},
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil {
		return fmt.Errorf("add %d to %s count shard %d: %w", delta, r, shard, err)
	}
	return nil
}

// maxCountsPerWrite bounds the segments and lists one UpdateItem of a
// shared count item moves (its expression stays far under DynamoDB's 4 KB).
const maxCountsPerWrite = 50

// AddCounts implements membership.Store: a processor flush's count moves in
// as few write units as it can. One UpdateItem on the shard's shared count
// item (MC#all, N#<shard>) adds every segment's and list's delta and sets
// its time; it is billed by that item's size, which grows with the
// segments and lists that ever moved through it (~45 B each). So a single
// delta goes to its own count item (1 WRU), and so do all of them once the
// shared item was seen to cost as many units as there are deltas (its last
// write's consumed capacity): never more units than a write per delta.
// What it could not write is returned with the error.
func (st *Store) AddCounts(ctx context.Context, shard int, deltas map[membership.Ref]int64, at time.Time) (map[membership.Ref]int64, error) {
	if shard < 0 || shard >= membership.Shards {
		return deltas, fmt.Errorf("count shard %d: out of range", shard)
	}
	var refs []membership.Ref
	for r, d := range deltas {
		if d != 0 {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	slices.SortFunc(refs, func(a, b membership.Ref) int { return strings.Compare(refCode(a), refCode(b)) })
	failed := map[membership.Ref]int64{}
	var errs []error
	if len(refs) == 1 || int(st.countUnits[shard].Load()) >= len(refs) {
		for _, r := range refs {
			if err := st.AddCount(ctx, r, shard, deltas[r], at); err != nil {
				failed[r] = deltas[r]
				errs = append(errs, err)
			}
		}
	} else {
		for start := 0; start < len(refs); start += maxCountsPerWrite {
			part := refs[start:min(len(refs), start+maxCountsPerWrite)]
			if err := st.addShared(ctx, shard, part, deltas, at); err != nil {
				for _, r := range part {
					failed[r] = deltas[r]
				}
				errs = append(errs, err)
			}
		}
	}
	if len(failed) == 0 {
		return nil, nil
	}
	return failed, errors.Join(errs...)
}

// addShared is one UpdateItem of a shared count item: ADD each ref's delta,
// SET its time. It remembers what the write cost (AddCounts).
func (st *Store) addShared(ctx context.Context, shard int, refs []membership.Ref, deltas map[membership.Ref]int64, at time.Time) error {
	names := make(map[string]string, 2*len(refs))
	values := make(map[string]types.AttributeValue, len(refs)+1)
	adds := make([]string, len(refs))
	sets := make([]string, len(refs))
	for i, r := range refs {
		c, t, d := "#c"+strconv.Itoa(i), "#t"+strconv.Itoa(i), ":d"+strconv.Itoa(i)
		names[c], names[t] = memberCountsAttr(r), memberCountsAtAttr(r)
		values[d] = n(deltas[r])
		adds[i], sets[i] = c+" "+d, t+" = :t"
	}
	values[":t"] = n(at.UnixMilli())
	res, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(memberCountsPK, memberCountSK(shard)),
		UpdateExpression:          aws.String("ADD " + strings.Join(adds, ", ") + " SET " + strings.Join(sets, ", ")),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil {
		return fmt.Errorf("add %d counts to shared count shard %d: %w", len(refs), shard, err)
	}
	if cc := res.ConsumedCapacity; cc != nil && cc.CapacityUnits != nil {
		st.countUnits[shard].Store(int32(math.Ceil(*cc.CapacityUnits)))
	}
	return nil
}

// maxTransactItems is DynamoDB's limit of actions in one TransactWriteItems.
const maxTransactItems = 100

// SetMembers implements membership.Store: SetMember for many changes in
// few calls. Each transaction holds up to 100 actions: member puts
// (attribute_not_exists) and deletes (attribute_exists) and one count ADD
// per segment and shard they move, so member items and counts still move
// together. A change whose condition fails (the index already says so) is
// dropped and the rest retried: it changes nothing and counts nothing, as
// with SetMember. A write that conflicts with another transaction is
// retried after a short wait. Costs 2 WRU per member item and 2 per count
// item of a transaction (SetMember: 4 per change).
func (st *Store) SetMembers(ctx context.Context, changes []membership.MemberChange, at time.Time) ([]bool, error) {
	changed := make([]bool, len(changes))
	// Chunks whose members plus distinct count items fit in one transaction.
	type countKey struct {
		ref   membership.Ref
		shard int
	}
	for start := 0; start < len(changes); {
		counts := map[countKey]bool{}
		end := start
		for end < len(changes) {
			c := changes[end]
			k := countKey{c.Ref, membership.ShardOf(c.ContactID)}
			extra := 1
			if !counts[k] {
				extra++
			}
			if end-start+len(counts)+extra > maxTransactItems {
				break
			}
			counts[k] = true
			end++
		}
		idx := make([]int, 0, end-start)
		for i := start; i < end; i++ {
			idx = append(idx, i)
		}
		if err := st.setMembersChunk(ctx, changes, idx, changed, at); err != nil {
			return changed, err
		}
		start = end
	}
	return changed, nil
}

// setMembersChunk runs one transaction over changes[idx...], dropping the
// changes whose condition fails until the rest commit (or none is left).
func (st *Store) setMembersChunk(ctx context.Context, changes []membership.MemberChange, idx []int, changed []bool, at time.Time) error {
	seen := map[string]bool{}
	live := idx[:0:0]
	for _, i := range idx {
		c := changes[i]
		k := c.Ref.String() + "\x00" + c.ContactID
		if seen[k] {
			continue // one action per item in a transaction; the first decides
		}
		seen[k] = true
		live = append(live, i)
	}
	stamp := s(at.UTC().Format(time.RFC3339))
	for attempt := 0; len(live) > 0; attempt++ {
		type countKey struct {
			ref   membership.Ref
			shard int
		}
		deltas := map[countKey]int64{}
		var order []countKey
		items := make([]types.TransactWriteItem, 0, len(live)+8)
		for _, i := range live {
			c := changes[i]
			shard := membership.ShardOf(c.ContactID)
			item := key(memberPK(c.Ref, shard), c.ContactID)
			d := int64(-1)
			if c.In {
				d = 1
				item[attrMemberAt] = stamp
				items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(st.table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}})
			} else {
				items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(st.table), Key: item, ConditionExpression: aws.String("attribute_exists(pk)")}})
			}
			k := countKey{c.Ref, shard}
			if _, ok := deltas[k]; !ok {
				order = append(order, k)
			}
			deltas[k] += d
		}
		for _, k := range order {
			if deltas[k] == 0 {
				continue
			}
			items = append(items, types.TransactWriteItem{Update: &types.Update{
				TableName:                 aws.String(st.table),
				Key:                       key(memberCountPK(k.ref), memberCountSK(k.shard)),
				UpdateExpression:          aws.String("ADD n :d SET t = :t"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: strconv.FormatInt(deltas[k], 10)}, ":t": s(at.UTC().Format(time.RFC3339Nano))},
			}})
		}
		_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items, ReturnConsumedCapacity: capacity})
		if err == nil {
			for _, i := range live {
				changed[i] = true
			}
			return nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) || len(tce.CancellationReasons) != len(items) || attempt >= 2*len(idx)+5 {
			return fmt.Errorf("set %d members: %w", len(live), err)
		}
		keep := live[:0:0]
		conflict := false
		for j, i := range live {
			switch aws.ToString(tce.CancellationReasons[j].Code) {
			case "ConditionalCheckFailed":
				// The index already says so: nothing to change or count.
			default:
				keep = append(keep, i)
			}
		}
		for _, r := range tce.CancellationReasons {
			if code := aws.ToString(r.Code); code == "TransactionConflict" {
				conflict = true
			} else if code != "" && code != "None" && code != "ConditionalCheckFailed" {
				return fmt.Errorf("set %d members: %w", len(live), err)
			}
		}
		if conflict {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(10*(attempt+1)) * time.Millisecond):
			}
		}
		live = keep
	}
	return nil
}
