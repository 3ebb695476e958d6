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

	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/template"
)

var _ mail.TemplateStore = (*Store)(nil)

// A template item keeps the whole template.Template JSON gzipped in z:
// two bodies of up to 256 KB each would not fit DynamoDB's 400 KB item
// otherwise, and HTML shrinks 5-10x.

// GetTemplate reads a template saved through the admin API
// (mail.ErrTemplateNotFound when none is).
func (st *Store) GetTemplate(ctx context.Context, id string) (mail.TemplateEntry, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(templatePK(id), skTemplate), ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return mail.TemplateEntry{}, fmt.Errorf("get template %s: %w", id, err)
	}
	if res.Item == nil {
		return mail.TemplateEntry{}, fmt.Errorf("template %s: %w", id, mail.ErrTemplateNotFound)
	}
	return decodeTemplate(res.Item)
}

func decodeTemplate(it map[string]types.AttributeValue) (mail.TemplateEntry, error) {
	var t template.Template
	if err := decodeGzipJSON(bin(it, "z"), &t); err != nil {
		return mail.TemplateEntry{}, fmt.Errorf("decode template %s: %w", str(it, attrPK), err)
	}
	e := mail.TemplateEntry{Template: t, Source: mail.TemplateAPI}
	e.CreatedAt, _ = time.Parse(time.RFC3339, str(it, "ct"))
	e.UpdatedAt, _ = time.Parse(time.RFC3339, str(it, "ut"))
	return e, nil
}

// PutTemplate saves a template (the caller compiled it); the last PUT wins,
// as for forms.
func (st *Store) PutTemplate(ctx context.Context, e mail.TemplateEntry) error {
	raw, err := json.Marshal(e.Template)
	if err != nil {
		return fmt.Errorf("encode template %s: %w", e.ID, err)
	}
	z, err := gzipJSON(raw)
	if err != nil {
		return fmt.Errorf("template %s: %w", e.ID, err)
	}
	item := key(templatePK(e.ID), skTemplate)
	item["z"] = &types.AttributeValueMemberB{Value: z}
	item["ct"] = s(e.CreatedAt.UTC().Format(time.RFC3339))
	item["ut"] = s(e.UpdatedAt.UTC().Format(time.RFC3339))
	item[attrGSI1PK] = s(gsiTemplates)
	item[attrGSI1SK] = s(e.ID)
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item, ReturnConsumedCapacity: capacity}); err != nil {
		return fmt.Errorf("put template %s: %w", e.ID, err)
	}
	return nil
}

// DeleteTemplate removes a saved template (mail.ErrTemplateNotFound when
// there was none; the old item comes back with the delete, no extra read).
func (st *Store) DeleteTemplate(ctx context.Context, id string) error {
	existed, err := st.deleteExisting(ctx, templatePK(id), skTemplate)
	if err != nil {
		return fmt.Errorf("delete template %s: %w", id, err)
	}
	if !existed {
		return fmt.Errorf("template %s: %w", id, mail.ErrTemplateNotFound)
	}
	return nil
}

// ListTemplates returns every saved template: the keys-only index lists the
// ids, one BatchGetItem reads them.
func (st *Store) ListTemplates(ctx context.Context) ([]mail.TemplateEntry, error) {
	items, err := st.listIndexed(ctx, gsiTemplates, skTemplate)
	if err != nil {
		return nil, err
	}
	out := make([]mail.TemplateEntry, 0, len(items))
	for _, it := range items {
		e, err := decodeTemplate(it)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
