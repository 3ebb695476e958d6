package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"

	"github.com/leadflow/leadflow/shared/campaign"
)

var _ campaign.WaveStore = (*Store)(nil)

// waveChunkKeep is how long a wave chunk outlives its wave: long enough
// to resume a paused campaign, then DynamoDB's TTL removes it for free.
const waveChunkKeep = 30 * 24 * time.Hour

// maxWaveChunkSeq is the largest page number the sort key's eight digits
// hold (a page is 500 recipients: far beyond any audience).
const maxWaveChunkSeq = 99_999_999

// waveChunkItem is a chunk's stored shape: recipients as JSON in "d"
// (about 30 bytes each: a 500-recipient chunk is one ~15 KB item).
type waveChunkItem struct {
	At         time.Time                `json:"at"`
	Recipients []campaign.WaveRecipient `json:"r"`
}

// PutWaveChunk implements campaign.WaveStore: a plain put, so the same
// page read again writes the same item.
func (st *Store) PutWaveChunk(ctx context.Context, c campaign.WaveChunk) error {
	body, err := json.Marshal(waveChunkItem{At: c.At, Recipients: c.Recipients})
	if err != nil {
		return fmt.Errorf("encode wave chunk: %w", err)
	}
	item := key(campaignPK(c.Campaign), waveChunkSK(c.Occurrence, c.Phase, c.Zone, c.Seq))
	item["d"] = &types.AttributeValueMemberB{Value: body}
	item[attrTTL] = n(c.At.Add(waveChunkKeep).Unix())
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item, ReturnConsumedCapacity: capacity}); err != nil {
		return fmt.Errorf("put wave chunk %s/%s %s %d: %w", c.Campaign, c.Occurrence, c.Zone, c.Seq, err)
	}
	return nil
}

// WaveChunks implements campaign.WaveStore: one Query of the zone's chunks
// after a page number, strongly consistent (the chunks were all written
// before the wave's timer was armed).
func (st *Store) WaveChunks(ctx context.Context, id, occurrence, phase, zone string, after, limit int) ([]campaign.WaveChunk, error) {
	prefix := waveChunksSK(occurrence, phase, zone)
	res, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(st.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(campaignPK(id)), ":from": s(waveChunkSK(occurrence, phase, zone, after+1)), ":to": s(waveChunkSK(occurrence, phase, zone, maxWaveChunkSeq)),
		},
		ConsistentRead:         aws.Bool(true),
		Limit:                  aws.Int32(int32(limit)),
		ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return nil, fmt.Errorf("query wave chunks %s/%s %s: %w", id, occurrence, zone, err)
	}
	out := make([]campaign.WaveChunk, 0, len(res.Items))
	for _, it := range res.Items {
		var seq int
		if _, err := fmt.Sscanf(str(it, attrSK)[len(prefix):], "%d", &seq); err != nil {
			return nil, fmt.Errorf("wave chunk %s: %w", str(it, attrSK), err)
		}
		var body waveChunkItem
		if err := json.Unmarshal(bin(it, "d"), &body); err != nil {
			return nil, fmt.Errorf("wave chunk %s: %w", str(it, attrSK), err)
		}
		out = append(out, campaign.WaveChunk{Campaign: id, Occurrence: occurrence, Phase: phase, Zone: zone, Seq: seq, At: body.At, Recipients: body.Recipients})
	}
	return out, nil
}

// WaveProgress implements campaign.WaveStore.
func (st *Store) WaveProgress(ctx context.Context, id, occurrence, phase, zone string) (campaign.WaveProgress, error) {
	var out campaign.WaveProgress
	found, err := st.getVersioned(ctx, campaignPK(id), waveSK(occurrence, phase, zone), &out)
	if err != nil {
		return out, fmt.Errorf("campaign %s wave %s/%s: %w", id, occurrence, zone, err)
	}
	if !found {
		return out, campaign.ErrNotFound
	}
	return out, nil
}

// SaveWaveProgress implements campaign.WaveStore (compare-and-set on v).
func (st *Store) SaveWaveProgress(ctx context.Context, p campaign.WaveProgress, prev int64) error {
	if err := st.putVersioned(ctx, campaignPK(p.Campaign), waveSK(p.Occurrence, p.Phase, p.Zone), p, prev); err != nil {
		return fmt.Errorf("save campaign %s wave %s/%s: %w", p.Campaign, p.Occurrence, p.Zone, err)
	}
	return nil
}

// WaveProgresses implements campaign.WaveStore: one strongly consistent
// Query of the phase's checkpoints (one small item per zone).
func (st *Store) WaveProgresses(ctx context.Context, id, occurrence, phase string) ([]campaign.WaveProgress, error) {
	var out []campaign.WaveProgress
	var start map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(campaignPK(id)), ":p": s(wavePhaseSK(occurrence, phase))},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
			ReturnConsumedCapacity:    capacity,
		})
		if err != nil {
			return nil, fmt.Errorf("campaign %s waves %s: %w", id, occurrence, err)
		}
		for _, it := range res.Items {
			var p campaign.WaveProgress
			if err := json.Unmarshal(bin(it, "d"), &p); err != nil {
				return nil, fmt.Errorf("campaign %s wave %s: %w", id, str(it, attrSK), err)
			}
			p.Version = num(it, "v")
			out = append(out, p)
		}
		if start = res.LastEvaluatedKey; len(start) == 0 {
			return out, nil
		}
	}
}
