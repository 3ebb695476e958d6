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
	"github.com/leadflow/leadflow/shared/sesevent"
)

// Items of the SES events handler (KEYS.md, "SES events"). Keys are built
// here; the mail counters and send records it updates are the sending
// pipeline's (sendkeys.go).
const (
	skSoftBounce = "SOFTB"
	skEventSeen  = "SEEN"
	// eventSeenTTL outlasts every redelivery: EventBridge retries a target
	// for up to 24 hours, Lambda's async retries for up to 6.
	eventSeenTTL = 7 * 24 * time.Hour
)

// softBouncePK is one address, compared like suppressionPK.
func softBouncePK(email string) string {
	return "SOFTB#" + strings.ToLower(strings.TrimSpace(email))
}

// eventSeenPK marks one counted SES event (type and feedback or message id).
func eventSeenPK(key string) string { return "SESEVT#" + key }

// transactAPI is the DynamoDB call CountMailOnce needs beyond API. The SDK
// client has it; it is asserted rather than added to API so the other
// adapters' fakes need not implement it.
type transactAPI interface {
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// CountMailOnce adds an SES event's bounces or complaints to the hour's
// mail counters (CountMail's items, read by the circuit breaker) unless
// the event was counted before. A marker item and the counter are written
// in one transaction, so an event EventBridge delivers twice, or an
// invocation retried after a crash, is counted exactly once. It reports
// whether this call counted it.
//
// The transaction costs 4 write units (2 items, doubled), paid only for
// bounces and complaints: a few per hundred mails at worst.
func (st *Store) CountMailOnce(ctx context.Context, eventKey string, at time.Time, add sesevent.Counts) (bool, error) {
	tx, ok := st.db.(transactAPI)
	if !ok {
		return false, errors.New("count mail once: the DynamoDB client cannot run transactions")
	}
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
		return false, nil
	}
	marker := key(eventSeenPK(eventKey), skEventSeen)
	marker[attrTTL] = n(time.Now().Add(eventSeenTTL).Unix())
	_, err := tx.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{
				TableName: aws.String(st.table), Item: marker,
				ConditionExpression: aws.String("attribute_not_exists(pk)"),
			}},
			{Update: &types.Update{
				TableName:                 aws.String(st.table),
				Key:                       key(mailStatsPK(at), skMailStats),
				UpdateExpression:          aws.String("ADD " + strings.Join(parts, ", ") + " SET #ttl = if_not_exists(#ttl, :ttl)"),
				ExpressionAttributeNames:  names,
				ExpressionAttributeValues: values,
			}},
		},
		ReturnConsumedCapacity: capacity,
	})
	if err == nil {
		return true, nil
	}
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 &&
		aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return false, nil // counted by an earlier delivery
	}
	return false, fmt.Errorf("count %s once: %w", eventKey, err)
}

// AddSoftBounce records a soft bounce of an address and returns the ones
// still on record. The list lives on one item whose TTL moves with each
// bounce, so it disappears a window after the last one; a redelivered
// event appends its id again, which sesevent.SoftBouncePolicy counts once.
// The list stays short: the policy suppresses an address after a few, and
// nothing is sent to it after that.
func (st *Store) AddSoftBounce(ctx context.Context, email string, b sesevent.SoftBounce, keep time.Duration) ([]sesevent.SoftBounce, error) {
	entry := strconv.FormatInt(b.At.Unix(), 10) + "#" + b.ID
	res, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(st.table),
		Key:              key(softBouncePK(email), skSoftBounce),
		UpdateExpression: aws.String("SET b = list_append(if_not_exists(b, :empty), :one), #ttl = :ttl"),
		ExpressionAttributeNames: map[string]string{
			"#ttl": attrTTL,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":empty": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
			":one":   &types.AttributeValueMemberL{Value: []types.AttributeValue{s(entry)}},
			":ttl":   n(time.Now().Add(keep).Unix()),
		},
		ReturnValues:           types.ReturnValueAllNew,
		ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return nil, fmt.Errorf("count soft bounce: %w", err)
	}
	var out []sesevent.SoftBounce
	if l, ok := res.Attributes["b"].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			sv, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				continue
			}
			unix, id, _ := strings.Cut(sv.Value, "#")
			sec, err := strconv.ParseInt(unix, 10, 64)
			if err != nil {
				continue
			}
			out = append(out, sesevent.SoftBounce{At: time.Unix(sec, 0).UTC(), ID: id})
		}
	}
	return out, nil
}

// NoteSend puts a remark on a sent message's record without changing its
// state (a delivery delay: the message is still on its way). Only a record
// in the sent state takes it, so a late delay never overwrites why a
// message bounced; a missing record is left alone.
func (st *Store) NoteSend(ctx context.Context, sendID, note string) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(st.table),
		Key:                      key(sendPK(sendID), skSend),
		UpdateExpression:         aws.String("SET #r = :r, #ua = :ua ADD #v :one"),
		ConditionExpression:      aws.String("attribute_exists(pk) AND #s = :sent"),
		ExpressionAttributeNames: map[string]string{"#r": attrSendReason, "#ua": attrSendUpdated, "#v": attrVersion, "#s": attrSendState},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":r": s(note), ":ua": timeAttr(time.Now()), ":one": n(1), ":sent": s(mail.Sent),
		},
		ReturnConsumedCapacity: capacity,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("note on send %s: %w", sendID, err)
	}
	return nil
}
