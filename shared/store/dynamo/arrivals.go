package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"

	"github.com/leadflow/leadflow/shared/membership"
)

var _ membership.Arrivals = (*Store)(nil)

// Keys of the arrivals log (KEYS.md, "Segments and lists"): a partition per
// shard, an item per write, sorted by when it was written.
const (
	prefixArrivals = "AV#"
	attrArrivalIDs = "ids" // packed contact ids (B)
)

func arrivalsPK(shard int) string { return prefixArrivals + strconv.Itoa(shard) }

// arrivalsSK orders a shard's items by write time; the random tail keeps
// two writes of the same instant apart.
func arrivalsSK(at time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return at.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + hex.EncodeToString(b[:])
}

// LogArrivals implements membership.Arrivals: one PutItem of the ids
// (packed: a canonical contact id in 17 bytes), whatever their number
// (the caller keeps an item near 1 KB).
func (st *Store) LogArrivals(ctx context.Context, shard int, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if shard < 0 || shard >= membership.Shards {
		return fmt.Errorf("arrivals shard %d: out of range", shard)
	}
	item := key(arrivalsPK(shard), arrivalsSK(at))
	item[attrArrivalIDs] = &types.AttributeValueMemberB{Value: membership.PackIDs(ids)}
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item, ReturnConsumedCapacity: capacity}); err != nil {
		return fmt.Errorf("log %d arrivals in shard %d: %w", len(ids), shard, err)
	}
	return nil
}

// ArrivalsPage implements membership.Arrivals: whole items of one shard,
// oldest first, until at least limit ids (or the end). The cursor is the
// base64 of the last item's sort key.
func (st *Store) ArrivalsPage(ctx context.Context, shard int, cursor string, limit int) ([]string, string, error) {
	if limit <= 0 {
		limit = 100
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(st.table),
		KeyConditionExpression:    aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(arrivalsPK(shard))},
	}
	if cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || !strings.Contains(string(after), "#") {
			return nil, "", fmt.Errorf("arrivals cursor %q: %w", cursor, membership.ErrBadCursor)
		}
		in.ExclusiveStartKey = key(arrivalsPK(shard), string(after))
	}
	var ids []string
	for {
		// An item holds one or more ids: ask for as many items as ids are
		// still wanted, at most.
		in.Limit = aws.Int32(int32(limit - len(ids)))
		res, err := st.db.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("arrivals shard %d: %w", shard, err)
		}
		for i, it := range res.Items {
			b, _ := it[attrArrivalIDs].(*types.AttributeValueMemberB)
			if b == nil {
				continue
			}
			got, err := membership.UnpackIDs(b.Value)
			if err != nil {
				return nil, "", fmt.Errorf("arrivals %s %s: %w", str(it, attrPK), str(it, attrSK), err)
			}
			ids = append(ids, got...)
			if len(ids) >= limit {
				if res.LastEvaluatedKey == nil && i == len(res.Items)-1 {
					return ids, "", nil
				}
				return ids, base64.RawURLEncoding.EncodeToString([]byte(str(it, attrSK))), nil
			}
		}
		if res.LastEvaluatedKey == nil {
			return ids, "", nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
