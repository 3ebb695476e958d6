package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/mail"
)

var _ campaign.Store = (*Store)(nil)

// CampaignState reads a campaign's lifecycle state (strongly consistent:
// the fan-out and the actions decide on it).
func (st *Store) CampaignState(ctx context.Context, id string) (campaign.State, error) {
	var out campaign.State
	found, err := st.getVersioned(ctx, campaignPK(id), skCampaignState, &out)
	if err != nil {
		return out, fmt.Errorf("campaign %s state: %w", id, err)
	}
	if !found {
		return out, campaign.ErrNotFound
	}
	return out, nil
}

// SaveCampaignState writes the state if it is still at version prev.
func (st *Store) SaveCampaignState(ctx context.Context, s campaign.State, prev int64) error {
	if err := st.putVersioned(ctx, campaignPK(s.ID), skCampaignState, s, prev); err != nil {
		return fmt.Errorf("save campaign %s state: %w", s.ID, err)
	}
	return nil
}

// CampaignStates reads several states (the list); missing ones are absent.
func (st *Store) CampaignStates(ctx context.Context, ids []string) (map[string]campaign.State, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, key(campaignPK(id), skCampaignState))
	}
	out := map[string]campaign.State{}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		items, err := st.batchGet(ctx, keys[:n], false)
		if err != nil {
			return nil, fmt.Errorf("campaign states: %w", err)
		}
		for _, it := range items {
			var s campaign.State
			if err := json.Unmarshal(bin(it, "d"), &s); err != nil {
				return nil, fmt.Errorf("campaign state %s: %w", str(it, attrPK), err)
			}
			s.Version = num(it, "v")
			out[s.ID] = s
		}
		keys = keys[n:]
	}
	return out, nil
}

// Run reads an occurrence's fan-out checkpoint.
func (st *Store) Run(ctx context.Context, id, occurrence string) (campaign.Run, error) {
	var out campaign.Run
	found, err := st.getVersioned(ctx, campaignPK(id), runSK(occurrence), &out)
	if err != nil {
		return out, fmt.Errorf("campaign %s run %s: %w", id, occurrence, err)
	}
	if !found {
		return out, campaign.ErrNotFound
	}
	return out, nil
}

// SaveRun writes the checkpoint if it is still at version prev.
func (st *Store) SaveRun(ctx context.Context, r campaign.Run, prev int64) error {
	if err := st.putVersioned(ctx, campaignPK(r.Campaign), runSK(r.Occurrence), r, prev); err != nil {
		return fmt.Errorf("save campaign %s run %s: %w", r.Campaign, r.Occurrence, err)
	}
	return nil
}

// Runs lists a campaign's occurrences, oldest first.
func (st *Store) Runs(ctx context.Context, id string) ([]campaign.Run, error) {
	var out []campaign.Run
	var start map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :run)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(campaignPK(id)), ":run": s(prefixRun)},
			ExclusiveStartKey:         start,
			ReturnConsumedCapacity:    capacity,
		})
		if err != nil {
			return nil, fmt.Errorf("campaign %s runs: %w", id, err)
		}
		for _, it := range res.Items {
			var r campaign.Run
			if err := json.Unmarshal(bin(it, "d"), &r); err != nil {
				return nil, fmt.Errorf("campaign %s run %s: %w", id, str(it, attrSK), err)
			}
			r.Version = num(it, "v")
			out = append(out, r)
		}
		if start = res.LastEvaluatedKey; len(start) == 0 {
			return out, nil
		}
	}
}

func (st *Store) getVersioned(ctx context.Context, pk, sk string, v any) (bool, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(pk, sk), ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return false, err
	}
	if res.Item == nil {
		return false, nil
	}
	if err := json.Unmarshal(bin(res.Item, "d"), v); err != nil {
		return false, err
	}
	ver := num(res.Item, "v")
	switch x := v.(type) {
	case *campaign.State:
		x.Version = ver
	case *campaign.Run:
		x.Version = ver
	case *campaign.WaveProgress:
		x.Version = ver
	}
	return true, nil
}

// putVersioned is a compare-and-set on "v": prev 0 creates.
func (st *Store) putVersioned(ctx context.Context, pk, sk string, v any, prev int64) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	item := key(pk, sk)
	item["d"] = &types.AttributeValueMemberB{Value: body}
	item["v"] = n(prev + 1)
	in := &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item, ReturnConsumedCapacity: capacity}
	if prev == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		in.ConditionExpression = aws.String("v = :prev")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": n(prev)}
	}
	_, err = st.db.PutItem(ctx, in)
	if isConditionFailed(err) {
		return campaign.ErrStateConflict
	}
	return err
}

// Add adds to an occurrence's counters of one variant, on a random shard.
func (st *Store) Add(ctx context.Context, id, occurrence, variant string, deltas map[string]int64) error {
	var sets []string
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	i := 0
	for k, d := range deltas {
		if d == 0 {
			continue
		}
		sets = append(sets, fmt.Sprintf("#c%d :c%d", i, i))
		names[fmt.Sprintf("#c%d", i)] = "n:" + k
		values[fmt.Sprintf(":c%d", i)] = n(d)
		i++
	}
	if len(sets) == 0 {
		return nil
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(campaignStatPK(id, randomStatShard()), campaignStatSK(occurrence, variant)),
		UpdateExpression:          aws.String("ADD " + strings.Join(sets, ", ")),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil {
		return fmt.Errorf("campaign %s counters: %w", id, err)
	}
	return nil
}

// CampaignCounts sums a campaign's counter shards: by occurrence, then
// variant ("" without one), then counter.
func (st *Store) CampaignCounts(ctx context.Context, id string) (map[string]map[string]map[string]int64, error) {
	out := map[string]map[string]map[string]int64{}
	for shard := range campaignStatShards {
		var start map[string]types.AttributeValue
		for {
			res, err := st.db.Query(ctx, &dynamodb.QueryInput{
				TableName:                 aws.String(st.table),
				KeyConditionExpression:    aws.String("pk = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(campaignStatPK(id, shard))},
				ExclusiveStartKey:         start,
				ReturnConsumedCapacity:    capacity,
			})
			if err != nil {
				return nil, fmt.Errorf("campaign %s counters: %w", id, err)
			}
			for _, it := range res.Items {
				occ, variant, _ := strings.Cut(str(it, attrSK), "#")
				if variant == "-" {
					variant = ""
				}
				if out[occ] == nil {
					out[occ] = map[string]map[string]int64{}
				}
				if out[occ][variant] == nil {
					out[occ][variant] = map[string]int64{}
				}
				for name, av := range it {
					c, ok := strings.CutPrefix(name, "n:")
					if !ok {
						continue
					}
					if nv, ok := av.(*types.AttributeValueMemberN); ok {
						x, err := strconv.ParseInt(nv.Value, 10, 64)
						if err != nil {
							return nil, fmt.Errorf("campaign %s counter %s: %w", id, name, err)
						}
						out[occ][variant][c] += x
					}
				}
			}
			if start = res.LastEvaluatedKey; len(start) == 0 {
				break
			}
		}
	}
	return out, nil
}

// Attributes of a send record that mark its first open or click, human
// and machine apart (campaign results count unique ones).
var engagementAttr = map[string]string{
	"open/human": "eoh", "open/machine": "eom", "click/human": "ech", "click/machine": "ecm",
}

// FirstEngagement marks a send's first open or click of a kind ("open",
// "click"; machine or human) and returns the record when this call was
// the first (a conditional UpdateItem: of any number of concurrent opens
// exactly one is first). A missing record or a later one returns false.
func (st *Store) FirstEngagement(ctx context.Context, sendID, kind string, machine bool, at time.Time) (mail.SendState, bool, error) {
	who := "human"
	if machine {
		who = "machine"
	}
	attr, ok := engagementAttr[kind+"/"+who]
	if !ok {
		return mail.SendState{}, false, fmt.Errorf("engagement kind %q", kind)
	}
	res, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(sendPK(sendID), skSend),
		UpdateExpression:          aws.String("SET #e = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(#e)"),
		ExpressionAttributeNames:  map[string]string{"#e": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(at.UTC().Format(time.RFC3339))},
		ReturnValues:              types.ReturnValueAllNew,
		ReturnConsumedCapacity:    capacity,
	})
	if isConditionFailed(err) {
		return mail.SendState{}, false, nil
	}
	if err != nil {
		return mail.SendState{}, false, fmt.Errorf("mark %s %s of send %s: %w", who, kind, sendID, err)
	}
	rec, err := decodeSend(res.Attributes)
	return rec, err == nil, err
}
