package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

var _ audit.Log = (*Store)(nil)

// auditItem is the stored shape of an entry (attribute d), apart from the
// API's audit.Entry.
type auditItem struct {
	ID        string    `json:"i"`
	At        time.Time `json:"t"`
	ActorID   string    `json:"ai"`
	Actor     string    `json:"a"`
	Role      string    `json:"r"`
	Kind      string    `json:"k"`
	Action    string    `json:"x"`
	Target    string    `json:"g,omitempty"`
	Status    int       `json:"s"`
	RequestID string    `json:"q,omitempty"`
}

func toAuditItem(e audit.Entry) auditItem {
	return auditItem{e.ID, e.At.UTC(), e.ActorID, e.Actor, e.Role, e.Kind, e.Action, e.Target, e.Status, e.RequestID}
}

func (it auditItem) entry() audit.Entry {
	return audit.Entry{ID: it.ID, At: it.At, ActorID: it.ActorID, Actor: it.Actor, Role: it.Role, Kind: it.Kind,
		Action: it.Action, Target: it.Target, Status: it.Status, RequestID: it.RequestID}
}

// Record writes the entry under the all, actor and kind partitions in one
// BatchWriteItem (3 write units; changes are made by people, so this is a
// handful per minute). The keys derive from the entry, so a retry
// overwrites rather than duplicates.
func (st *Store) Record(ctx context.Context, e audit.Entry) error {
	raw, err := json.Marshal(toAuditItem(e))
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	sk := auditSK(e.At, e.ID)
	var puts []types.WriteRequest
	for _, pk := range []string{auditAllPK(), auditActorPK(e.ActorID), auditKindPK(e.Kind)} {
		item := key(pk, sk)
		item["d"] = s(string(raw))
		item["k"] = s(e.Kind)
		puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	req := map[string][]types.WriteRequest{st.table: puts}
	for attempt := 0; len(req[st.table]) > 0; attempt++ {
		if attempt == 5 {
			return fmt.Errorf("record audit entry %s: unprocessed after %d attempts", e.ID, attempt)
		}
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 20 * time.Millisecond)
		}
		out, err := st.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
		if err != nil {
			return fmt.Errorf("record audit entry %s: %w", e.ID, err)
		}
		req = out.UnprocessedItems
	}
	return nil
}

// List reads one partition newest first: the actor's when q names one
// (filtered by kind if that is set too), else the kind's, else all.
func (st *Store) List(ctx context.Context, q audit.Query) ([]audit.Entry, string, error) {
	pk := auditAllPK()
	filterKind := ""
	switch {
	case q.ActorID != "":
		pk, filterKind = auditActorPK(q.ActorID), q.Kind
	case q.Kind != "":
		pk = auditKindPK(q.Kind)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	cond := "pk = :p"
	vals := map[string]types.AttributeValue{":p": s(pk)}
	if q.Before != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Before)
		if err != nil {
			return nil, "", audit.ErrBadCursor
		}
		cond += " AND sk < :b"
		vals[":b"] = s(string(b))
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(st.table), KeyConditionExpression: aws.String(cond),
		ExpressionAttributeValues: vals, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit)),
	}
	if filterKind != "" {
		in.FilterExpression = aws.String("k = :k")
		vals[":k"] = s(filterKind)
	}
	var out []audit.Entry
	lastSK := ""
	for {
		res, err := st.db.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("list audit %s: %w", pk, err)
		}
		for _, it := range res.Items {
			var ai auditItem
			if err := json.Unmarshal([]byte(str(it, "d")), &ai); err != nil {
				return nil, "", fmt.Errorf("decode audit entry %s: %w", str(it, attrSK), err)
			}
			out = append(out, ai.entry())
			lastSK = str(it, attrSK)
			if len(out) == limit {
				break
			}
		}
		if len(out) == limit {
			return out, base64.RawURLEncoding.EncodeToString([]byte(lastSK)), nil
		}
		if res.LastEvaluatedKey == nil {
			return out, "", nil
		}
		// A kind filter on an actor's partition can leave a page short.
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
