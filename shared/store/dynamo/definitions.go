package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/definition"
)

var (
	_ definition.Store       = (*Store)(nil)
	_ definition.LegacyStore = (*Store)(nil)
)

// Attributes of a definition's current item and its versions.
const (
	attrDefBody    = "z"  // gzip JSON of the definition (templates reach 100s of KB)
	attrDefVersion = "v"  // N
	attrDefAt      = "at" // RFC3339Nano
	attrDefBy      = "by"
	attrDefSince   = "si"
	attrDefCreated = "ct"
	attrDefSummary = "sum"
	attrDefDeleted = "del" // BOOL, a tombstone
)

// GetDefinition implements definition.Store (strongly consistent: an
// admin reads back what it just saved).
func (st *Store) GetDefinition(ctx context.Context, kind definition.Kind, id string) (definition.Stored, bool, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(definitionPK(string(kind), id), skDefinition),
		ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return definition.Stored{}, false, fmt.Errorf("get definition %s/%s: %w", kind, id, err)
	}
	if res.Item == nil {
		return definition.Stored{}, false, nil
	}
	d, err := decodeDefinition(kind, id, res.Item)
	return d, err == nil, err
}

func decodeDefinition(kind definition.Kind, id string, it map[string]types.AttributeValue) (definition.Stored, error) {
	d := definition.Stored{Kind: kind, ID: id, Version: num(it, attrDefVersion), By: str(it, attrDefBy), Summary: str(it, attrDefSummary)}
	d.At, _ = time.Parse(time.RFC3339Nano, str(it, attrDefAt))
	d.Since, _ = time.Parse(time.RFC3339Nano, str(it, attrDefSince))
	d.CreatedAt, _ = time.Parse(time.RFC3339Nano, str(it, attrDefCreated))
	if b, ok := it[attrDefDeleted].(*types.AttributeValueMemberBOOL); ok {
		d.Deleted = b.Value
	}
	if z := bin(it, attrDefBody); len(z) > 0 {
		var raw json.RawMessage
		if err := decodeGzipJSON(z, &raw); err != nil {
			return d, fmt.Errorf("decode definition %s/%s: %w", kind, id, err)
		}
		d.Body = raw
	}
	return d, nil
}

func definitionItem(d definition.Stored, pk, sk string) (map[string]types.AttributeValue, error) {
	item := key(pk, sk)
	item[attrDefVersion] = n(d.Version)
	item[attrDefAt] = s(d.At.UTC().Format(time.RFC3339Nano))
	if d.By != "" {
		item[attrDefBy] = s(d.By)
	}
	if !d.Since.IsZero() {
		item[attrDefSince] = s(d.Since.UTC().Format(time.RFC3339Nano))
	}
	if !d.CreatedAt.IsZero() {
		item[attrDefCreated] = s(d.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	if d.Summary != "" {
		item[attrDefSummary] = s(d.Summary)
	}
	if d.Deleted {
		item[attrDefDeleted] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if d.Body != nil {
		z, err := gzipJSON(d.Body)
		if err != nil {
			return nil, err
		}
		item[attrDefBody] = &types.AttributeValueMemberB{Value: z}
	}
	return item, nil
}

// SaveDefinition implements definition.Store: one transaction writes the
// current item (on the condition that its version is still prevVersion)
// and the new version item (which must not exist yet).
func (st *Store) SaveDefinition(ctx context.Context, d definition.Stored, prevVersion int64) error {
	pk := definitionPK(string(d.Kind), d.ID)
	cur, err := definitionItem(d, pk, skDefinition)
	if err != nil {
		return fmt.Errorf("encode definition %s/%s: %w", d.Kind, d.ID, err)
	}
	if !d.Deleted {
		// Only live overrides are listed; a tombstone drops out of the index.
		cur[attrGSI1PK] = s(gsiDefinitions + string(d.Kind))
		cur[attrGSI1SK] = s(d.ID)
	}
	ver, err := definitionItem(d, pk, versionSK(d.Version))
	if err != nil {
		return fmt.Errorf("encode definition %s/%s: %w", d.Kind, d.ID, err)
	}
	cond, vals := "attribute_not_exists(pk)", map[string]types.AttributeValue(nil)
	if prevVersion > 0 {
		cond, vals = "#v = :v", map[string]types.AttributeValue{":v": n(prevVersion)}
	}
	put := &types.Put{TableName: aws.String(st.table), Item: cur, ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}
	if prevVersion > 0 {
		put.ExpressionAttributeNames = map[string]string{"#v": attrDefVersion}
	}
	_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Put: put},
			{Put: &types.Put{TableName: aws.String(st.table), Item: ver, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		},
		ReturnConsumedCapacity: capacity,
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" {
				return fmt.Errorf("save definition %s/%s: %w", d.Kind, d.ID, definition.ErrConflict)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("save definition %s/%s: %w", d.Kind, d.ID, err)
	}
	return nil
}

// ListDefinitions implements definition.Store: the keys-only index lists
// a kind's live overrides, one BatchGetItem reads them (there are few).
func (st *Store) ListDefinitions(ctx context.Context, kind definition.Kind) ([]definition.Stored, error) {
	items, err := st.listIndexed(ctx, gsiDefinitions+string(kind), skDefinition)
	if err != nil {
		return nil, err
	}
	out := make([]definition.Stored, 0, len(items))
	prefix := definitionPK(string(kind), "")
	for _, it := range items {
		d, err := decodeDefinition(kind, strings.TrimPrefix(str(it, attrPK), prefix), it)
		if err != nil {
			return nil, err
		}
		if !d.Deleted {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DefinitionVersions implements definition.Store: one Query of the
// definition's partition, newest first, without the bodies.
func (st *Store) DefinitionVersions(ctx context.Context, kind definition.Kind, id string) ([]definition.VersionInfo, error) {
	var out []definition.VersionInfo
	var start map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("pk = :p AND begins_with(sk, :v)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(definitionPK(string(kind), id)), ":v": s(prefixVersion)},
			ProjectionExpression:      aws.String("#v, #at, #by, #sum, #del"),
			ExpressionAttributeNames:  map[string]string{"#v": attrDefVersion, "#at": attrDefAt, "#by": attrDefBy, "#sum": attrDefSummary, "#del": attrDefDeleted},
			ScanIndexForward:          aws.Bool(false),
			ExclusiveStartKey:         start,
			ReturnConsumedCapacity:    capacity,
		})
		if err != nil {
			return nil, fmt.Errorf("versions of %s/%s: %w", kind, id, err)
		}
		for _, it := range res.Items {
			d, err := decodeDefinition(kind, id, it)
			if err != nil {
				return nil, err
			}
			out = append(out, definition.VersionInfo{Version: d.Version, At: d.At, By: d.By, Summary: d.Summary, Deleted: d.Deleted})
		}
		if start = res.LastEvaluatedKey; start == nil {
			return out, nil
		}
	}
}

// DefinitionVersion implements definition.Store.
func (st *Store) DefinitionVersion(ctx context.Context, kind definition.Kind, id string, v int64) (definition.Stored, bool, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(definitionPK(string(kind), id), versionSK(v)), ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return definition.Stored{}, false, fmt.Errorf("get version %d of %s/%s: %w", v, kind, id, err)
	}
	if res.Item == nil {
		return definition.Stored{}, false, nil
	}
	d, err := decodeDefinition(kind, id, res.Item)
	return d, err == nil, err
}

// legacyKey is where an override lived before the registry: forms as
// F#<id>/F with the JSON in d, templates as TPL#<id>/TPL gzipped in z,
// interest rules and the scoring model as CFG#<name>/CFG with JSON in d.
func legacyKey(kind definition.Kind, id string) (pk, sk string, ok bool) {
	switch kind {
	case "forms":
		return formPK(id), skForm, true
	case "templates":
		return templatePK(id), skTemplate, true
	case "interests", "scoring":
		if id == definition.DefaultID {
			return configPK(string(kind)), skConfig, true
		}
	}
	return "", "", false
}

// LegacyDefinition implements definition.LegacyStore.
func (st *Store) LegacyDefinition(ctx context.Context, kind definition.Kind, id string) ([]byte, time.Time, bool, error) {
	pk, sk, ok := legacyKey(kind, id)
	if !ok {
		return nil, time.Time{}, false, nil
	}
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.table), Key: key(pk, sk), ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: capacity})
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("get old %s/%s: %w", kind, id, err)
	}
	if res.Item == nil {
		return nil, time.Time{}, false, nil
	}
	it := res.Item
	if z := bin(it, "z"); len(z) > 0 {
		var raw json.RawMessage
		if err := decodeGzipJSON(z, &raw); err != nil {
			return nil, time.Time{}, false, fmt.Errorf("decode old %s/%s: %w", kind, id, err)
		}
		at, _ := time.Parse(time.RFC3339, str(it, "ut"))
		return raw, at, true, nil
	}
	at, _ := time.Parse(time.RFC3339, str(it, "t"))
	var f struct {
		UpdatedAt time.Time `json:"updated_at"`
	}
	if json.Unmarshal([]byte(str(it, "d")), &f) == nil && !f.UpdatedAt.IsZero() {
		at = f.UpdatedAt
	}
	return []byte(str(it, "d")), at, true, nil
}

// LegacyDefinitionIDs implements definition.LegacyStore: the old index
// partitions of forms and templates (singletons are found by Get).
func (st *Store) LegacyDefinitionIDs(ctx context.Context, kind definition.Kind) ([]string, error) {
	var gsi string
	switch kind {
	case "forms":
		gsi = gsiForms
	case "templates":
		gsi = gsiTemplates
	default:
		return nil, nil
	}
	var ids []string
	var start map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(st.table), IndexName: aws.String(gsi1),
			KeyConditionExpression:    aws.String("gsi1pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(gsi)},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("list old %s: %w", kind, err)
		}
		for _, it := range res.Items {
			ids = append(ids, str(it, attrGSI1SK))
		}
		if start = res.LastEvaluatedKey; start == nil {
			return ids, nil
		}
	}
}

// DeleteLegacyDefinition implements definition.LegacyStore.
func (st *Store) DeleteLegacyDefinition(ctx context.Context, kind definition.Kind, id string) error {
	pk, sk, ok := legacyKey(kind, id)
	if !ok {
		return nil
	}
	if _, err := st.deleteExisting(ctx, pk, sk); err != nil {
		return fmt.Errorf("delete old %s/%s: %w", kind, id, err)
	}
	return nil
}

// SaveLegacyDefinition writes an override in its old layout: only tests
// use it, to prove an upgrade migrates what an older release saved.
func (st *Store) SaveLegacyDefinition(ctx context.Context, kind definition.Kind, id string, raw []byte, at time.Time) error {
	pk, sk, ok := legacyKey(kind, id)
	if !ok {
		return fmt.Errorf("%s had no old layout", kind)
	}
	item := key(pk, sk)
	switch kind {
	case "templates":
		z, err := gzipJSON(raw)
		if err != nil {
			return err
		}
		item["z"] = &types.AttributeValueMemberB{Value: z}
		item["ct"], item["ut"] = s(at.UTC().Format(time.RFC3339)), s(at.UTC().Format(time.RFC3339))
		item[attrGSI1PK], item[attrGSI1SK] = s(gsiTemplates), s(id)
	case "forms":
		item["d"] = s(string(raw))
		item[attrGSI1PK], item[attrGSI1SK] = s(gsiForms), s(id)
	default:
		item["d"], item["t"] = s(string(raw)), s(at.UTC().Format(time.RFC3339))
	}
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item})
	return err
}
