package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

// writeAPI is what the definitions and rate-limit items need beyond API's reads
// and puts. It is embedded in API (store.go) rather than listed there so
// another adapter file may declare the same methods without a clash.
type writeAPI interface {
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// attrCount is a rate-limit counter's count.
const attrCount = "n"

// Allow counts one hit of key in the fixed window that holds now and
// reports whether it is within limit. One conditional UpdateItem does both:
// ADD increments only while the count is under the limit, so the counter
// never passes it and a refused hit changes nothing (DynamoDB still bills
// the write unit). The counter expires an hour after its window.
func (st *Store) Allow(ctx context.Context, k string, limit int, window time.Duration, now time.Time) (bool, error) {
	if limit <= 0 {
		return false, nil
	}
	start := now.UTC().Truncate(window)
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(st.table),
		Key:                 key(rateLimitPK(k, start), skRateLimit),
		UpdateExpression:    aws.String("ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)"),
		ConditionExpression: aws.String("attribute_not_exists(#n) OR #n < :limit"),
		ExpressionAttributeNames: map[string]string{
			"#n": attrCount, "#ttl": attrTTL,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   n(1),
			":limit": n(int64(limit)),
			":ttl":   n(start.Add(window).Add(rateLimitGrace).Unix()),
		},
		ReturnConsumedCapacity: capacity,
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("count rate limit %s: %w", k, err)
	}
	return true, nil
}
