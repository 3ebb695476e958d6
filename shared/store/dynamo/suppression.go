package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/suppression"
)

var _ mail.Suppressions = (*Store)(nil)

// Suppression reasons.
const (
	SuppressedBounce    = "bounce"
	SuppressedComplaint = "complaint"
	// SuppressedSoftBounces: soft bounces passed the threshold.
	SuppressedSoftBounces = "soft_bounces"
	SuppressedManual      = "manual"
)

// IsSuppressed reports whether an address is on Leadflow's suppression
// list: a hard bounce or a complaint put it there, and no mail of any kind
// goes to it again. One eventually consistent read of a tiny item.
func (st *Store) IsSuppressed(ctx context.Context, email string) (bool, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(st.table),
		Key:                    key(suppressionPK(email), skSuppression),
		ProjectionExpression:   aws.String("pk"),
		ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return false, fmt.Errorf("read suppression: %w", err)
	}
	return res.Item != nil, nil
}

// Suppress puts an address on the suppression list for good, with why
// (the Suppressed* reasons) and when. The first reason is kept: a later
// bounce of an address suppressed for a complaint changes nothing.
func (st *Store) Suppress(ctx context.Context, email, reason string) error {
	item := key(suppressionPK(email), skSuppression)
	item["r"] = s(reason)
	item["t"] = s(time.Now().UTC().Format(time.RFC3339))
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:              aws.String(st.table),
		Item:                   item,
		ConditionExpression:    aws.String("attribute_not_exists(pk)"),
		ReturnConsumedCapacity: capacity,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("suppress address (%s): %w", reason, err)
	}
	return nil
}

// Suppression returns why and since when an address is suppressed; ok is
// false when it is not.
func (st *Store) Suppression(ctx context.Context, email string) (reason string, at time.Time, ok bool, err error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(suppressionPK(email), skSuppression), ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("read suppression: %w", err)
	}
	if res.Item == nil {
		return "", time.Time{}, false, nil
	}
	at, _ = time.Parse(time.RFC3339, str(res.Item, "t"))
	return str(res.Item, "r"), at, true, nil
}

var _ suppression.List = (*Store)(nil)

// SuppressedAmong implements suppression.List: one BatchGetItem per 100
// addresses (eventually consistent: the backfill is about addresses
// suppressed long ago; one suppressed since is marked by its own bounce).
// A missing address costs 0.5 RRU like a found one.
func (st *Store) SuppressedAmong(ctx context.Context, emails []string) (map[string]suppression.Entry, error) {
	out := map[string]suppression.Entry{}
	byPK := map[string][]string{}
	keys := make([]map[string]types.AttributeValue, 0, len(emails))
	for _, e := range emails {
		pk := suppressionPK(e)
		if _, dup := byPK[pk]; !dup {
			keys = append(keys, key(pk, skSuppression))
		}
		byPK[pk] = append(byPK[pk], e)
	}
	for start := 0; start < len(keys); start += 100 {
		items, err := st.batchGet(ctx, keys[start:min(start+100, len(keys))], false)
		if err != nil {
			return nil, fmt.Errorf("read suppressions: %w", err)
		}
		for _, it := range items {
			at, _ := time.Parse(time.RFC3339, str(it, "t"))
			for _, e := range byPK[str(it, attrPK)] {
				out[e] = suppression.Entry{Reason: str(it, "r"), At: at}
			}
		}
	}
	return out, nil
}
