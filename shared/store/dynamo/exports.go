package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/exports"
)

var _ exports.Store = (*Store)(nil)

// exportTTL keeps an export's record this long; its file in the bucket
// expires sooner (the stack's lifecycle rules).
const exportTTL = 30 * 24 * time.Hour

// PutExport records a new export.
func (st *Store) PutExport(ctx context.Context, e exports.Export) error {
	item, err := exportItem(e, 1)
	if err != nil {
		return err
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.table), Item: item,
		ConditionExpression:    aws.String("attribute_not_exists(pk)"),
		ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return fmt.Errorf("put export %s: %w", e.ID, err)
	}
	return nil
}

func exportItem(e exports.Export, version int64) (map[string]types.AttributeValue, error) {
	d, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode export %s: %w", e.ID, err)
	}
	item := key(exportPK(e.ID), skExport)
	item["d"] = s(string(d))
	item["v"] = n(version)
	item[attrGSI1PK] = s(gsiExports)
	item[attrGSI1SK] = s(e.CreatedAt.UTC().Format(auditTimeStamp) + "#" + e.ID)
	item[attrTTL] = n(e.CreatedAt.Add(exportTTL).Unix())
	return item, nil
}

// GetExport reads an export, strongly consistently.
func (st *Store) GetExport(ctx context.Context, id string) (exports.Export, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(exportPK(id), skExport), ConsistentRead: aws.Bool(true),
		ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return exports.Export{}, fmt.Errorf("get export %s: %w", id, err)
	}
	if out.Item == nil {
		return exports.Export{}, exports.ErrNotFound
	}
	var e exports.Export
	if err := json.Unmarshal([]byte(str(out.Item, "d")), &e); err != nil {
		return e, fmt.Errorf("decode export %s: %w", id, err)
	}
	e.Version = num(out.Item, "v")
	return e, nil
}

// SaveExport writes e if the stored version is still the one it read.
func (st *Store) SaveExport(ctx context.Context, e exports.Export) error {
	item, err := exportItem(e, e.Version+1)
	if err != nil {
		return err
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.table), Item: item,
		ConditionExpression:       aws.String("v = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(e.Version)},
		ReturnConsumedCapacity:    capacity,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return exports.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("save export %s: %w", e.ID, err)
	}
	return nil
}
