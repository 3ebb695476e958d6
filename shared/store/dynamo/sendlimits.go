package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/mail"
)

var (
	_ mail.RateStore = (*Store)(nil)
	_ mail.CapStore  = (*Store)(nil)
)

// TakeRate adds up to want sends to second sec's counter without passing
// limit and returns how many it added. One conditional ADD does it; when
// the second cannot take want, the failed condition returns the count, and
// a second ADD takes what is left. Every sender shares the item, so
// together they stay within the limit.
func (st *Store) TakeRate(ctx context.Context, sec int64, want, limit int) (int, error) {
	want = min(want, limit)
	for range 3 {
		if want <= 0 {
			return 0, nil
		}
		_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           aws.String(st.table),
			Key:                                 key(ratePK(sec), skRate),
			UpdateExpression:                    aws.String("ADD #n :want SET #ttl = if_not_exists(#ttl, :ttl)"),
			ConditionExpression:                 aws.String("attribute_not_exists(#n) OR #n <= :room"),
			ExpressionAttributeNames:            map[string]string{"#n": attrCount, "#ttl": attrTTL},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":want": n(int64(want)), ":room": n(int64(limit - want)), ":ttl": n(sec + int64(rateTTL/time.Second))},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ReturnConsumedCapacity:              capacity,
		})
		if err == nil {
			return want, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return 0, fmt.Errorf("take %d of second %d's send rate: %w", want, sec, err)
		}
		want = limit - int(num(ccf.Item, attrCount))
	}
	return 0, nil
}

// MarketingSends reads a contact's recent marketing sends (strongly
// consistent: the caps must see the send that just went out).
func (st *Store) MarketingSends(ctx context.Context, contactID string) (mail.CapRecord, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(capPK(contactID), skCap), ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return mail.CapRecord{}, fmt.Errorf("read marketing sends of %s: %w", contactID, err)
	}
	return decodeCaps(res.Item), nil
}

// decodeCaps reads a frequency-cap item (nil: a zero record).
func decodeCaps(it map[string]types.AttributeValue) mail.CapRecord {
	rec := mail.CapRecord{Version: num(it, attrVersion)}
	if l := str(it, "l"); l != "" {
		for _, e := range strings.Split(l, ",") {
			id, at, ok := strings.Cut(e, ":")
			secs, err := strconv.ParseInt(at, 10, 64)
			if !ok || err != nil {
				continue
			}
			rec.Sends = append(rec.Sends, mail.CapSend{SendID: id, At: time.Unix(secs, 0).UTC()})
		}
	}
	return rec
}

// SaveMarketingSends writes a contact's recent marketing sends if nobody
// changed them since version prev was read (mail.ErrCapConflict otherwise).
// The list is one string, "<send id>:<unix>,…": a contact's cap window
// holds a handful of sends, so the item stays far under 1 KB.
func (st *Store) SaveMarketingSends(ctx context.Context, contactID string, rec mail.CapRecord, prev int64) error {
	parts := make([]string, 0, len(rec.Sends))
	for _, s := range rec.Sends {
		parts = append(parts, s.SendID+":"+strconv.FormatInt(s.At.Unix(), 10))
	}
	item := key(capPK(contactID), skCap)
	item["l"] = s(strings.Join(parts, ","))
	item[attrVersion] = n(prev + 1)
	// Caps look back at most a month; the item goes when it can matter no more.
	item[attrTTL] = n(time.Now().Add(32 * 24 * time.Hour).Unix())
	in := &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item, ReturnConsumedCapacity: capacity}
	if prev == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		in.ConditionExpression = aws.String("#v = :prev")
		in.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": n(prev)}
	}
	_, err := st.db.PutItem(ctx, in)
	if isConditionFailed(err) {
		return fmt.Errorf("marketing sends of %s: %w", contactID, mail.ErrCapConflict)
	}
	if err != nil {
		return fmt.Errorf("save marketing sends of %s: %w", contactID, err)
	}
	return nil
}

// MailStats are the sends, bounces and complaints of a period.
type MailStats struct {
	Sent, Bounces, Complaints int64
}

// CountMail adds to the current hour's mail counters: sent by the sender
// (once per batch), bounces and complaints by the SES events handler. The
// circuit breaker reads them (MailStatsSince).
func (st *Store) CountMail(ctx context.Context, at time.Time, add MailStats) error {
	var parts []string
	names := map[string]string{"#ttl": attrTTL}
	values := map[string]types.AttributeValue{":ttl": n(at.Add(mailStatsTTL).Unix())}
	for name, v := range map[string]int64{"sent": add.Sent, "bounces": add.Bounces, "complaints": add.Complaints} {
		if v != 0 {
			parts = append(parts, "#"+name+" :"+name)
			names["#"+name] = name
			values[":"+name] = n(v)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(mailStatsPK(at), skMailStats),
		UpdateExpression:          aws.String("ADD " + strings.Join(parts, ", ") + " SET #ttl = if_not_exists(#ttl, :ttl)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil {
		return fmt.Errorf("count mail: %w", err)
	}
	return nil
}

// MailStatsSince sums the hourly counters from the hour holding since to
// the current one (one BatchGetItem; at most 168 hours).
func (st *Store) MailStatsSince(ctx context.Context, since, now time.Time) (MailStats, error) {
	var keys []map[string]types.AttributeValue
	for h := since.UTC().Truncate(time.Hour); !h.After(now) && len(keys) < 24*7; h = h.Add(time.Hour) {
		keys = append(keys, key(mailStatsPK(h), skMailStats))
	}
	items, err := st.batchGet(ctx, keys, false)
	if err != nil {
		return MailStats{}, fmt.Errorf("read mail stats: %w", err)
	}
	var out MailStats
	for _, it := range items {
		out.Sent += num(it, "sent")
		out.Bounces += num(it, "bounces")
		out.Complaints += num(it, "complaints")
	}
	return out, nil
}
