package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/shared/form"
)

// writeAPI is what the form and rate-limit items need beyond API's reads
// and puts. It is embedded in API (store.go) rather than listed there so
// another adapter file may declare the same methods without a clash.
type writeAPI interface {
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ form.Store = (*Store)(nil)

// Attributes of a form item and a rate-limit counter.
const (
	attrFormDef = "d" // the form's JSON, the admin API's format
	attrCount   = "n"
)

// GetForm implements form.Store.
func (st *Store) GetForm(ctx context.Context, id string) (form.Form, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.table), Key: key(formPK(id), skForm), ReturnConsumedCapacity: capacity})
	if err != nil {
		return form.Form{}, fmt.Errorf("get form %s: %w", id, err)
	}
	if res.Item == nil {
		return form.Form{}, fmt.Errorf("form %s: %w", id, form.ErrNotFound)
	}
	return decodeForm(res.Item)
}

func decodeForm(it map[string]types.AttributeValue) (form.Form, error) {
	var f form.Form
	if err := json.Unmarshal([]byte(str(it, attrFormDef)), &f); err != nil {
		return form.Form{}, fmt.Errorf("decode form %s: %w", str(it, attrPK), err)
	}
	return f, nil
}

// PutForm implements form.Store. It writes unconditionally: the admin API
// is the only writer and the last PUT wins, as for sites.
func (st *Store) PutForm(ctx context.Context, f form.Form) error {
	d, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode form %s: %w", f.ID, err)
	}
	item := key(formPK(f.ID), skForm)
	item[attrFormDef] = s(string(d))
	item[attrGSI1PK] = s(gsiForms)
	item[attrGSI1SK] = s(f.ID)
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item}); err != nil {
		return fmt.Errorf("put form %s: %w", f.ID, err)
	}
	return nil
}

// DeleteForm implements form.Store. The old item comes back with the
// delete, so telling "deleted" from "was not there" costs no extra read.
func (st *Store) DeleteForm(ctx context.Context, id string) error {
	existed, err := st.deleteExisting(ctx, formPK(id), skForm)
	if err != nil {
		return fmt.Errorf("delete form %s: %w", id, err)
	}
	if !existed {
		return fmt.Errorf("form %s: %w", id, form.ErrNotFound)
	}
	return nil
}

// ListForms implements form.Store: the keys-only index lists the ids, one
// BatchGetItem reads the forms (there are few).
func (st *Store) ListForms(ctx context.Context) ([]form.Form, error) {
	items, err := st.listIndexed(ctx, gsiForms, skForm)
	if err != nil {
		return nil, err
	}
	out := make([]form.Form, 0, len(items))
	for _, it := range items {
		f, err := decodeForm(it)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

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
