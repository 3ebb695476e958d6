package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

// ContactShards is how many shards the contacts index has; a background
// job over all contacts runs one chain of pages per shard, in parallel.
const ContactShards = contactShards

// ContactsPage returns up to limit contact ids of one shard of the contacts
// index, and a cursor for the next page ("" when done). Reading a whole
// shard page by page is how background jobs visit every contact without
// scanning the table.
func (st *Store) ContactsPage(ctx context.Context, shard int, cursor string, limit int) ([]string, string, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(st.table),
		IndexName:                 aws.String(gsi1),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(fmt.Sprintf("CONTACTS#%d", shard))},
		Limit:                     aws.Int32(int32(limit)),
	}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return nil, "", fmt.Errorf("contacts page cursor: %w", err)
		}
		var k map[string]string
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, "", fmt.Errorf("contacts page cursor: %w", err)
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{}
		for name, v := range k {
			in.ExclusiveStartKey[name] = s(v)
		}
	}
	res, err := st.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("contacts shard %d: %w", shard, err)
	}
	ids := make([]string, 0, len(res.Items))
	for _, it := range res.Items {
		ids = append(ids, contactIDFromPK(str(it, attrPK)))
	}
	next := ""
	if res.LastEvaluatedKey != nil {
		k := map[string]string{}
		for name := range res.LastEvaluatedKey {
			k[name] = str(res.LastEvaluatedKey, name)
		}
		raw, _ := json.Marshal(k)
		next = base64.RawURLEncoding.EncodeToString(raw)
	}
	return ids, next, nil
}
