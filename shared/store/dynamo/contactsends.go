package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/mail"
)

var _ mail.EngagementStore = (*Store)(nil)

// ErrBadMessagesCursor: a contact-messages cursor that this store did not
// hand out.
var ErrBadMessagesCursor = errors.New("cursor must be the next value of the previous page")

// engagementAttrs names the attribute of each act, for people and machines.
var engagementAttrs = map[mail.Act][2]string{
	mail.ActOpened:  {attrSendOpened, attrSendMachineOpened},
	mail.ActClicked: {attrSendClicked, attrSendMachineClicked},
}

// NoteEngagement sets the first time of an open or click on a send record.
// It never creates a record and never touches another contact's send (a
// send id from an old or forged link is ignored) and never moves a time already set, so a redelivered event is a
// no-op; it leaves the version alone, so the pipeline's own conditional
// writes are not disturbed.
func (st *Store) NoteEngagement(ctx context.Context, sendID, contactID string, act mail.Act, machine bool, at time.Time) error {
	attrs, ok := engagementAttrs[act]
	if !ok {
		return fmt.Errorf("note %q on send %s: unknown act", act, sendID)
	}
	attr := attrs[0]
	if machine {
		attr = attrs[1]
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(sendPK(sendID), skSend),
		UpdateExpression:          aws.String("SET #a = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND #c = :c AND attribute_not_exists(#a)"),
		ExpressionAttributeNames:  map[string]string{"#a": attr, "#c": attrSendContact},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": timeAttr(at), ":c": s(contactID)},
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("note %s on send %s: %w", act, sendID, err)
	}
	return nil
}

// ContactSends lists the send records of contacts (a contact and those
// merged into it), newest claim first, limit at a time: one Query of the
// messages index per contact id (keys only), then one BatchGetItem of the
// records. before is the previous page's next cursor ("" for the first
// page); next is "" on the last page.
func (st *Store) ContactSends(ctx context.Context, contactIDs []string, before string, limit int) ([]mail.SendState, string, error) {
	if before != "" {
		// The cursor is the last sort key of the previous page, base64url
		// so that it travels in a query string as it is.
		raw, err := base64.RawURLEncoding.DecodeString(before)
		ts, id, ok := strings.Cut(string(raw), "#")
		if _, perr := time.Parse(timeLayout, ts); err != nil || perr != nil || !ok || id == "" {
			return nil, "", ErrBadMessagesCursor
		}
		before = string(raw)
	}
	type entry struct{ sk, sendID string }
	var all []entry
	for _, cid := range contactIDs {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			IndexName:                 aws.String(gsi1),
			KeyConditionExpression:    aws.String("gsi1pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(messagesGSIPK(cid))},
			ScanIndexForward:          aws.Bool(false),
			// One more than a page tells whether another page follows.
			Limit: aws.Int32(int32(limit + 1)),
		}
		if before != "" {
			in.KeyConditionExpression = aws.String("gsi1pk = :p AND gsi1sk < :b")
			in.ExpressionAttributeValues[":b"] = s(before)
		}
		res, err := st.db.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("list sends of contact %s: %w", cid, err)
		}
		for _, it := range res.Items {
			all = append(all, entry{str(it, attrGSI1SK), strings.TrimPrefix(str(it, attrPK), "SEND#")})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].sk > all[j].sk })
	next := ""
	if len(all) > limit {
		all = all[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(all[limit-1].sk))
	}
	if len(all) == 0 {
		return []mail.SendState{}, "", nil
	}
	keys := make([]map[string]types.AttributeValue, len(all))
	for i, e := range all {
		keys[i] = key(sendPK(e.sendID), skSend)
	}
	items, err := st.batchGet(ctx, keys, false)
	if err != nil {
		return nil, "", fmt.Errorf("read %d sends: %w", len(keys), err)
	}
	byID := make(map[string]mail.SendState, len(items))
	for _, it := range items {
		rec, err := decodeSend(it)
		if err != nil {
			return nil, "", err
		}
		byID[rec.SendID] = rec
	}
	out := make([]mail.SendState, 0, len(all))
	for _, e := range all {
		// The index is eventually consistent with the table: a record gone
		// since (a throttled claim given back) is left out.
		if rec, ok := byID[e.sendID]; ok {
			out = append(out, rec)
		}
	}
	return out, next, nil
}
