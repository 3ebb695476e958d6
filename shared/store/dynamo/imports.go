package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/contact"
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

// claimParallel bounds the concurrent conditional writes of one run's
// claims: enough to hide the round trips (a window of 5,000 rows is about
// 40 rounds), few enough to stay under a partition's burst (the links are
// spread over as many partitions as emails).
const claimParallel = 128

// ClaimContacts implements imports.Store. One BatchGetItem per 100 emails
// finds the identity links that exist; an email with none gets a new contact
// through a conditional put of its link, which names the import and line, so
// the link is the claim as well (one write per new contact, however many
// rows repeat the email). An email linked before the import gets a claim item
// (1 WU), as every email used to.
func (st *Store) ClaimContacts(ctx context.Context, importID string, lines map[string]int) (map[string]imports.Claim, error) {
	out := make(map[string]imports.Claim, len(lines))
	if len(lines) == 0 {
		return out, nil
	}
	emails := make([]string, 0, len(lines))
	for e := range lines {
		emails = append(emails, e)
	}
	links, err := st.importLinks(ctx, emails)
	if err != nil {
		return nil, fmt.Errorf("claim the emails of import %s: %w", importID, err)
	}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, claimParallel)
	now := time.Now().UTC()
	for _, email := range emails {
		wg.Add(1)
		sem <- struct{}{}
		go func(email string, line int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := st.claimContact(ctx, importID, email, line, links[email], now)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("claim an email of import %s: %w", importID, err)
				}
				return
			}
			out[email] = c
		}(email, lines[email])
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// importLinks reads the identity links of emails, 100 per BatchGetItem,
// the calls in parallel (eventually consistent: a link missed here fails
// the conditional put, which answers the item).
func (st *Store) importLinks(ctx context.Context, emails []string) (map[string]map[string]types.AttributeValue, error) {
	out := map[string]map[string]types.AttributeValue{}
	byPK := map[string]string{}
	keys := make([]map[string]types.AttributeValue, 0, len(emails))
	for _, e := range emails {
		pk := identityPK(contact.Identity{Kind: contact.Email, Value: e})
		byPK[pk] = e
		keys = append(keys, key(pk, skIdentity))
	}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for start := 0; start < len(keys); start += 100 {
		wg.Add(1)
		go func(chunk []map[string]types.AttributeValue) {
			defer wg.Done()
			items, err := st.batchGet(ctx, chunk, false)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			for _, it := range items {
				out[byPK[str(it, attrPK)]] = it
			}
		}(keys[start:min(start+100, len(keys))])
	}
	wg.Wait()
	return out, firstErr
}

// claimContact claims one email for line, given its link as read (nil: none).
func (st *Store) claimContact(ctx context.Context, importID, email string, line int, link map[string]types.AttributeValue, now time.Time) (imports.Claim, error) {
	if link == nil {
		cid := contact.NewID()
		item := key(identityPK(contact.Identity{Kind: contact.Email, Value: email}), skIdentity)
		item["c"] = s(cid)
		item["t"] = s(now.Format(time.RFC3339))
		item[attrLinkImport] = s(importID)
		item[attrLinkLine] = n(int64(line))
		_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(st.table), Item: item,
			ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ReturnConsumedCapacity:              capacity,
		})
		if err == nil {
			return imports.Claim{ContactID: cid, New: true}, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return imports.Claim{}, fmt.Errorf("link email: %w", err)
		}
		link = ccf.Item // linked since the read: by this import's earlier run, or anyone
		if str(link, "c") == "" {
			res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
				TableName: aws.String(st.table), Key: key(identityPK(contact.Identity{Kind: contact.Email, Value: email}), skIdentity),
				ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: capacity,
			})
			if err != nil {
				return imports.Claim{}, fmt.Errorf("read the email's link: %w", err)
			}
			link = res.Item
		}
	}
	cid := str(link, "c")
	if str(link, attrLinkImport) == importID {
		// This import linked the email: on this line (the page runs again
		// after a crash) or on an earlier one (a duplicate row).
		if l := int(num(link, attrLinkLine)); l != line {
			return imports.Claim{ContactID: cid, DuplicateOf: l}, nil
		}
		return imports.Claim{ContactID: cid, New: true}, nil
	}
	// A contact known before the import: claim the email separately.
	item := key(importClaimPK(importID, email), skClaim)
	item["l"] = n(int64(line))
	item[attrTTL] = n(now.Add(importTTL).Unix())
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.table), Item: item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk) OR l = :l"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":l": n(int64(line))},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              capacity,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return imports.Claim{ContactID: cid, DuplicateOf: int(num(ccf.Item, "l"))}, nil
	case err != nil:
		return imports.Claim{}, fmt.Errorf("claim: %w", err)
	}
	return imports.Claim{ContactID: cid}, nil
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
