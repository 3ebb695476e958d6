package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/mail"
)

var _ mail.SendStore = (*Store)(nil)

// Attributes of a send record (KEYS.md, "Sending").
const (
	attrSendState    = "s"
	attrSendContact  = "c"
	attrSendTemplate = "tp"
	attrSendKind     = "k"
	attrSendSource   = "src"
	attrSendReason   = "r"
	attrSendMessage  = "m"
	attrSendClaimed  = "ca"
	attrSendSent     = "sa"
	attrSendUpdated  = "ua"
	attrSendCause    = "dc"
	attrSendNotBef   = "nb"
	attrSendAttempt  = "a"
	attrVersion      = "v"
	// First open and click, by people and by machines (mail.Engagement).
	attrSendOpened         = "eo"
	attrSendMachineOpened  = "eom"
	attrSendClicked        = "ec"
	attrSendMachineClicked = "ecm"
)

const timeLayout = time.RFC3339Nano

func timeAttr(t time.Time) types.AttributeValue { return s(t.UTC().Format(timeLayout)) }

func parseTime(it map[string]types.AttributeValue, name string) time.Time {
	t, _ := time.Parse(timeLayout, str(it, name))
	return t
}

// GetSend reads a send record (eventually consistent: every write the
// pipeline makes is conditional on the version it read, so a stale read
// only costs a failed condition). mail.ErrSendNotFound when there is none.
func (st *Store) GetSend(ctx context.Context, sendID string) (mail.SendState, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(sendPK(sendID), skSend), ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return mail.SendState{}, fmt.Errorf("get send %s: %w", sendID, err)
	}
	if res.Item == nil {
		return mail.SendState{}, fmt.Errorf("send %s: %w", sendID, mail.ErrSendNotFound)
	}
	return decodeSend(res.Item)
}

func decodeSend(it map[string]types.AttributeValue) (mail.SendState, error) {
	r := mail.SendState{Record: mail.Record{
		SendID:     strings.TrimPrefix(str(it, attrPK), "SEND#"),
		ContactID:  str(it, attrSendContact),
		TemplateID: str(it, attrSendTemplate),
		Kind:       str(it, attrSendKind),
		State:      str(it, attrSendState),
		Reason:     str(it, attrSendReason),
		MessageID:  str(it, attrSendMessage),
		ClaimedAt:  parseTime(it, attrSendClaimed),
		SentAt:     parseTime(it, attrSendSent),
		UpdatedAt:  parseTime(it, attrSendUpdated),
	},
		Cause:     str(it, attrSendCause),
		NotBefore: parseTime(it, attrSendNotBef),
		Attempt:   int(num(it, attrSendAttempt)),
		Version:   num(it, attrVersion),
		Engagement: mail.Engagement{
			OpenedAt: parseTime(it, attrSendOpened), MachineOpenedAt: parseTime(it, attrSendMachineOpened),
			ClickedAt: parseTime(it, attrSendClicked), MachineClickedAt: parseTime(it, attrSendMachineClicked),
		},
	}
	if src := str(it, attrSendSource); src != "" {
		if err := json.Unmarshal([]byte(src), &r.Source); err != nil {
			return r, fmt.Errorf("decode send %s source: %w", r.SendID, err)
		}
	}
	return r, nil
}

// SaveSend writes a whole send record if it is still at version prev (0:
// none may exist). Claiming a send id is SaveSend of a Claimed record with
// prev 0: `attribute_not_exists(pk)`, a PutItem; a rewrite is an
// UpdateItem of the pipeline's own attributes (rewriteSend). On a failed condition the current
// record comes back with the exception (no extra read) and is returned
// with mail.ErrSendConflict.
func (st *Store) SaveSend(ctx context.Context, rec mail.SendState, prev int64) (mail.SendState, error) {
	rec.Version = prev + 1
	item := key(sendPK(rec.SendID), skSend)
	item[attrSendState] = s(rec.State)
	item[attrSendContact] = s(rec.ContactID)
	item[attrSendTemplate] = s(rec.TemplateID)
	item[attrSendKind] = s(rec.Kind)
	if rec.Source != (mail.Source{}) {
		src, err := json.Marshal(rec.Source)
		if err != nil {
			return rec, fmt.Errorf("encode send %s source: %w", rec.SendID, err)
		}
		item[attrSendSource] = s(string(src))
	}
	for name, v := range map[string]string{attrSendReason: rec.Reason, attrSendMessage: rec.MessageID, attrSendCause: rec.Cause} {
		if v != "" {
			item[name] = s(v)
		}
	}
	e := rec.Engagement
	for name, t := range map[string]time.Time{attrSendClaimed: rec.ClaimedAt, attrSendSent: rec.SentAt, attrSendUpdated: rec.UpdatedAt, attrSendNotBef: rec.NotBefore,
		attrSendOpened: e.OpenedAt, attrSendMachineOpened: e.MachineOpenedAt, attrSendClicked: e.ClickedAt, attrSendMachineClicked: e.MachineClickedAt} {
		if !t.IsZero() {
			item[name] = timeAttr(t)
		}
	}
	if rec.Attempt > 0 {
		item[attrSendAttempt] = n(int64(rec.Attempt))
	}
	item[attrVersion] = n(rec.Version)
	item[attrTTL] = n(time.Now().Add(sendTTL).Unix())
	if rec.ContactID != "" && rec.ContactID != mail.SampleContact && !rec.ClaimedAt.IsZero() {
		// The contact's messages index. Keys-only, and the keys do not move
		// when the record is rewritten, so only the first write of a send
		// writes to the index.
		item[attrGSI1PK] = s(messagesGSIPK(rec.ContactID))
		item[attrGSI1SK] = s(messagesGSISK(rec.ClaimedAt, rec.SendID))
	}
	var err error
	if prev == 0 {
		_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(st.table), Item: item,
			ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ReturnConsumedCapacity:              capacity,
		})
	} else {
		_, err = st.db.UpdateItem(ctx, rewriteSend(st.table, item, prev))
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if len(ccf.Item) == 0 {
			return mail.SendState{}, fmt.Errorf("send %s was removed: %w", rec.SendID, mail.ErrSendConflict)
		}
		cur, derr := decodeSend(ccf.Item)
		if derr != nil {
			return mail.SendState{}, derr
		}
		return cur, fmt.Errorf("save send %s as %s: %w", rec.SendID, rec.State, mail.ErrSendConflict)
	}
	if err != nil {
		return rec, fmt.Errorf("save send %s as %s: %w", rec.SendID, rec.State, err)
	}
	return rec, nil
}

// sendRewritable are the attributes a send record's rewrite sets or, when
// the new record leaves them empty, removes. Everything else on the item
// (the k:* count marks CountSendOnce sets without moving the version)
// is never named, so a rewrite cannot drop it.
var sendRewritable = []string{
	attrSendState, attrSendContact, attrSendTemplate, attrSendKind, attrSendSource, attrSendReason,
	attrSendMessage, attrSendCause, attrSendClaimed, attrSendSent, attrSendUpdated, attrSendNotBef,
	attrSendOpened, attrSendMachineOpened, attrSendClicked, attrSendMachineClicked, attrSendAttempt,
	attrVersion, attrTTL, attrGSI1PK, attrGSI1SK,
}

// rewriteSend is the UpdateItem that turns a send record at version prev
// into item. A PutItem of the whole item would be one expression shorter,
// but it replaces the item: a count mark an SES event wrote between the
// sender's read and its write (the event overtook the sender) would be
// lost, and a repeat of that event would count again.
func rewriteSend(table string, item map[string]types.AttributeValue, prev int64) *dynamodb.UpdateItemInput {
	names := map[string]string{"#v": attrVersion}
	values := map[string]types.AttributeValue{":prev": n(prev)}
	var sets, removes []string
	for i, a := range sendRewritable {
		name := fmt.Sprintf("#a%d", i)
		names[name] = a
		if v, ok := item[a]; ok {
			values[fmt.Sprintf(":a%d", i)] = v
			sets = append(sets, fmt.Sprintf("%s = :a%d", name, i))
		} else {
			removes = append(removes, name)
		}
	}
	expr := "SET " + strings.Join(sets, ", ")
	if len(removes) > 0 {
		expr += " REMOVE " + strings.Join(removes, ", ")
	}
	return &dynamodb.UpdateItemInput{
		TableName: aws.String(table), Key: key(str(item, attrPK), str(item, attrSK)),
		UpdateExpression:                    aws.String(expr),
		ConditionExpression:                 aws.String("#v = :prev"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              capacity,
	}
}

// ReleaseSend deletes a claim still at version v, so a send SES refused for
// rate can be claimed again. A claim that moved on is left alone.
func (st *Store) ReleaseSend(ctx context.Context, sendID string, v int64) error {
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(sendPK(sendID), skSend),
		ConditionExpression:       aws.String("#v = :v AND #s = :claimed"),
		ExpressionAttributeNames:  map[string]string{"#v": attrVersion, "#s": attrSendState},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(v), ":claimed": s(mail.Claimed)},
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release send %s: %w", sendID, err)
	}
	return nil
}

// movesFrom lists, for each state an SES event can move a send to, the
// states it may move from: events arrive out of order and more than once,
// and a later event must never undo a more telling one (a Delivery after
// a Complaint, a Send after a Bounce).
var movesFrom = map[string][]string{
	mail.Sent:      {mail.Claimed, mail.InDoubt},
	mail.Delivered: {mail.Claimed, mail.InDoubt, mail.Sent},
	mail.Bounced:   {mail.Claimed, mail.InDoubt, mail.Sent, mail.Delivered},
	mail.Rejected:  {mail.Claimed, mail.InDoubt, mail.Sent},
	mail.Complaint: {mail.Claimed, mail.InDoubt, mail.Sent, mail.Delivered},
}

// MarkSend moves a send record to a state an SES event reports (sent,
// delivered, bounced, rejected, complaint) with a short reason. It is
// idempotent and order-safe: a record that is already there or further
// along, or does not exist, is left as it is (nil error).
func (st *Store) MarkSend(ctx context.Context, sendID, state, reason string) error {
	from, ok := movesFrom[state]
	if !ok {
		return fmt.Errorf("mark send %s: events cannot move a send to %q", sendID, state)
	}
	return st.moveSend(ctx, sendID, state, "", reason, from)
}

// ResolveInDoubt settles a send whose outcome was unknown (claimed with no
// outcome, or in doubt) from an SES event that carries its send id tag:
// SES took the message, with this message id. state is mail.Sent for a
// Send event, or what a later event says (mail.Delivered, mail.Bounced...).
// Records that are not claimed or in doubt are left alone (nil error), so
// it is safe to call for every event.
func (st *Store) ResolveInDoubt(ctx context.Context, sendID, messageID, state string) error {
	if _, ok := movesFrom[state]; !ok {
		return fmt.Errorf("resolve send %s: %q is not an outcome SES reports", sendID, state)
	}
	return st.moveSend(ctx, sendID, state, messageID, "settled from SES's "+state+" event", []string{mail.Claimed, mail.InDoubt})
}

func (st *Store) moveSend(ctx context.Context, sendID, state, messageID, reason string, from []string) error {
	now := time.Now().UTC()
	names := map[string]string{"#s": attrSendState, "#ua": attrSendUpdated, "#v": attrVersion}
	values := map[string]types.AttributeValue{":s": s(state), ":ua": timeAttr(now), ":one": n(1)}
	sets := []string{"#s = :s", "#ua = :ua"}
	if state == mail.Sent || state == mail.Delivered {
		// The message left: a record settled by its event gets a sent time.
		names["#sa"] = attrSendSent
		sets = append(sets, "#sa = if_not_exists(#sa, :ua)")
	}
	if messageID != "" {
		names["#m"] = attrSendMessage
		values[":m"] = s(messageID)
		sets = append(sets, "#m = :m")
	}
	if reason != "" {
		names["#r"] = attrSendReason
		values[":r"] = s(reason)
		sets = append(sets, "#r = :r")
	}
	update := "SET " + strings.Join(sets, ", ")
	cond := "attribute_exists(pk) AND #s IN ("
	for i, f := range from {
		k := fmt.Sprintf(":f%d", i)
		values[k] = s(f)
		if i > 0 {
			cond += ", "
		}
		cond += k
	}
	cond += ")"
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(sendPK(sendID), skSend),
		UpdateExpression:          aws.String(update + " ADD #v :one"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("move send %s to %s: %w", sendID, state, err)
	}
	return nil
}

// ClaimIdempotencyKey binds a send API idempotency key (by the send id derived
// from it) to the request it first came with, in one conditional write: two
// concurrent calls cannot both believe they were first. When the key is
// already bound, the request it is bound to comes back with claimed false.
func (st *Store) ClaimIdempotencyKey(ctx context.Context, sendID, contactID, templateID string) (mail.KeyOwner, bool, error) {
	item := key(idemKeyPK(sendID), skIdemKey)
	item["c"], item["tp"] = s(contactID), s(templateID)
	item[attrTTL] = n(time.Now().Add(sendTTL).Unix())
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.table), Item: item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              capacity,
	})
	if err == nil {
		return mail.KeyOwner{ContactID: contactID, TemplateID: templateID}, true, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return mail.KeyOwner{}, false, fmt.Errorf("claim idempotency key of send %s: %w", sendID, err)
	}
	return mail.KeyOwner{ContactID: str(ccf.Item, "c"), TemplateID: str(ccf.Item, "tp")}, false, nil
}
