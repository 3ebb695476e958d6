package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

// listIndexed reads every item listed under one gsi1 partition: the
// keys-only index gives the ids, one BatchGetItem per 100 reads the items.
// Sites, forms and saved templates are listed this way (there are few).
func (st *Store) listIndexed(ctx context.Context, gsiPK, sk string) ([]map[string]types.AttributeValue, error) {
	var keys []map[string]types.AttributeValue
	var startKey map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			IndexName:                 aws.String(gsi1),
			KeyConditionExpression:    aws.String("gsi1pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(gsiPK)},
			ExclusiveStartKey:         startKey,
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", gsiPK, err)
		}
		for _, it := range res.Items {
			keys = append(keys, key(str(it, attrPK), sk))
		}
		if startKey = res.LastEvaluatedKey; startKey == nil {
			break
		}
	}
	items, err := st.batchGet(ctx, keys, false)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", gsiPK, err)
	}
	return items, nil
}

// deleteExisting deletes an item and reports whether it was there: the old
// item comes back with the delete, so "was not there" costs no extra read.
func (st *Store) deleteExisting(ctx context.Context, pk, sk string) (bool, error) {
	res, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(st.table), Key: key(pk, sk), ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, err
	}
	return len(res.Attributes) > 0, nil
}
