package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/imports"
)

var _ imports.Store = (*Store)(nil)

// importTTL keeps an import's record and its email claims this long after
// it was created; the objects in the bucket expire sooner (the stack's
// lifecycle rules).
const importTTL = 90 * 24 * time.Hour

// PutImport records a new import.
func (st *Store) PutImport(ctx context.Context, imp imports.Import) error {
	item, err := importItem(imp, 1)
	if err != nil {
		return err
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.table), Item: item,
		ConditionExpression:    aws.String("attribute_not_exists(pk)"),
		ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return fmt.Errorf("put import %s: %w", imp.ID, err)
	}
	return nil
}

func importItem(imp imports.Import, version int64) (map[string]types.AttributeValue, error) {
	d, err := json.Marshal(imp)
	if err != nil {
		return nil, fmt.Errorf("encode import %s: %w", imp.ID, err)
	}
	item := key(importPK(imp.ID), skImport)
	item["d"] = s(string(d))
	item["v"] = n(version)
	item[attrGSI1PK] = s(gsiImports)
	item[attrGSI1SK] = s(imp.CreatedAt.UTC().Format(auditTimeStamp) + "#" + imp.ID)
	item[attrTTL] = n(imp.CreatedAt.Add(importTTL).Unix())
	return item, nil
}

// GetImport reads an import, strongly consistently.
func (st *Store) GetImport(ctx context.Context, id string) (imports.Import, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(importPK(id), skImport), ConsistentRead: aws.Bool(true),
		ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return imports.Import{}, fmt.Errorf("get import %s: %w", id, err)
	}
	if out.Item == nil {
		return imports.Import{}, imports.ErrNotFound
	}
	return decodeImport(out.Item)
}

func decodeImport(item map[string]types.AttributeValue) (imports.Import, error) {
	var imp imports.Import
	if err := json.Unmarshal([]byte(str(item, "d")), &imp); err != nil {
		return imp, fmt.Errorf("decode import: %w", err)
	}
	imp.Version = num(item, "v")
	return imp, nil
}

// SaveImport writes imp if the stored version is still the one it read.
func (st *Store) SaveImport(ctx context.Context, imp imports.Import) error {
	item, err := importItem(imp, imp.Version+1)
	if err != nil {
		return err
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.table), Item: item,
		ConditionExpression:       aws.String("v = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(imp.Version)},
		ReturnConsumedCapacity:    capacity,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return imports.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("save import %s: %w", imp.ID, err)
	}
	return nil
}

// ClaimEmails puts one claim per email, conditional on no claim from
// another line; a failed condition returns the holder's line.
func (st *Store) ClaimEmails(ctx context.Context, importID string, lines map[string]int) (map[string]int, error) {
	held := map[string]int{}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	ttl := n(time.Now().Add(importTTL).Unix())
	for email, line := range lines {
		wg.Add(1)
		sem <- struct{}{}
		go func(email string, line int) {
			defer wg.Done()
			defer func() { <-sem }()
			item := key(importClaimPK(importID, email), skClaim)
			item["l"] = n(int64(line))
			item[attrTTL] = ttl
			_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
				TableName: aws.String(st.table), Item: item,
				ConditionExpression:                 aws.String("attribute_not_exists(pk) OR l = :l"),
				ExpressionAttributeValues:           map[string]types.AttributeValue{":l": n(int64(line))},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
				ReturnConsumedCapacity:              capacity,
			})
			mu.Lock()
			defer mu.Unlock()
			var ccf *types.ConditionalCheckFailedException
			switch {
			case errors.As(err, &ccf):
				held[email] = int(num(ccf.Item, "l"))
			case err != nil && firstErr == nil:
				firstErr = fmt.Errorf("claim an email of import %s: %w", importID, err)
			}
		}(email, line)
	}
	wg.Wait()
	return held, firstErr
}

// ListImports gives the most recent imports, newest first.
func (st *Store) ListImports(ctx context.Context, limit int) ([]imports.Import, error) {
	keys, err := st.queryIndex(ctx, gsiImports, limit)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	out := make([]imports.Import, 0, len(keys))
	for _, pk := range keys {
		imp, err := st.GetImport(ctx, pk[len(prefixImport):])
		if errors.Is(err, imports.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, imp)
	}
	return out, nil
}

// queryIndex returns the partition keys of the newest items of a gsi1
// partition (keys-only index).
func (st *Store) queryIndex(ctx context.Context, partition string, limit int) ([]string, error) {
	out, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(st.table), IndexName: aws.String(gsi1),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(partition)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(out.Items))
	for _, it := range out.Items {
		keys = append(keys, str(it, attrPK))
	}
	return keys, nil
}
