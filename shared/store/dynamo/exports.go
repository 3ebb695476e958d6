package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
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

// ListExports pages through exports newest first: a Query of the keys-only
// EXPORTS index, then one BatchGetItem of the records. The cursor is the
// last index sort key of the previous page, base64url.
func (st *Store) ListExports(ctx context.Context, cursor string, limit int) ([]exports.Export, string, error) {
	if limit <= 0 {
		limit = 20
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(st.table), IndexName: aws.String(gsi1),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(gsiExports)},
		ScanIndexForward:          aws.Bool(false),
		// One more than a page tells whether another page follows.
		Limit:                  aws.Int32(int32(limit + 1)),
		ReturnConsumedCapacity: capacity,
	}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		ts, id, ok := strings.Cut(string(raw), "#")
		if _, perr := time.Parse(auditTimeStamp, ts); err != nil || perr != nil || !ok || !strings.HasPrefix(id, "exp_") {
			return nil, "", exports.ErrBadCursor
		}
		in.KeyConditionExpression = aws.String("gsi1pk = :p AND gsi1sk < :b")
		in.ExpressionAttributeValues[":b"] = s(string(raw))
	}
	res, err := st.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list exports: %w", err)
	}
	items := res.Items
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(str(items[limit-1], attrGSI1SK)))
	}
	if len(items) == 0 {
		return []exports.Export{}, "", nil
	}
	keys := make([]map[string]types.AttributeValue, len(items))
	for i, it := range items {
		keys[i] = key(str(it, attrPK), skExport)
	}
	got, err := st.batchGet(ctx, keys, false)
	if err != nil {
		return nil, "", fmt.Errorf("read %d exports: %w", len(keys), err)
	}
	byPK := make(map[string]exports.Export, len(got))
	for _, it := range got {
		var e exports.Export
		if err := json.Unmarshal([]byte(str(it, "d")), &e); err != nil {
			return nil, "", fmt.Errorf("decode export %s: %w", str(it, attrPK), err)
		}
		e.Version = num(it, "v")
		byPK[str(it, attrPK)] = e
	}
	out := make([]exports.Export, 0, len(items))
	for _, it := range items {
		// The index trails the table: a record expired since is left out.
		if e, ok := byPK[str(it, attrPK)]; ok {
			out = append(out, e)
		}
	}
	return out, next, nil
}
