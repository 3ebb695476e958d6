package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/journeyrun"
)

var _ journeyrun.Store = (*Store)(nil)

// maxRunPath bounds a run record's path (its list of marks): a run that
// loops through a weekly wait for years keeps its latest marks only.
const maxRunPath = 200

// storedMark is one entry of a run record's path as the record keeps it.
// The record already names its journey and run, so entries leave them out,
// use one-letter keys and keep the time to the millisecond: about 100
// bytes an entry instead of about 180. A run record is rewritten at every
// move and billed by its whole size (1 WRU per KB), so the path is most of
// what a move costs once a run has taken a few steps (bench/journeys: a
// six-entry record went from 2 WRU to 1 per write).
type storedMark struct {
	At      string `json:"t"`
	Version int64  `json:"v,omitempty"`
	Step    string `json:"s,omitempty"`
	Kind    string `json:"k"`
	Note    string `json:"n,omitempty"`
}

// markTime is a path entry's time: UTC, milliseconds.
const markTime = "2006-01-02T15:04:05.000Z07:00"

func encodeMark(m journey.Mark) ([]byte, error) {
	return json.Marshal(storedMark{At: m.At.UTC().Format(markTime), Version: m.Version, Step: m.Step, Kind: m.Kind, Note: m.Note})
}

// decodeMark reads a path entry of a record of journeyID's run: in the
// stored form, or as a whole journey.Mark (records written before the
// stored form); either way the journey and run come from the record.
func decodeMark(raw []byte, journeyID, run string) (journey.Mark, bool) {
	var v struct {
		journey.Mark
		storedMark
	}
	if json.Unmarshal(raw, &v) != nil {
		return journey.Mark{}, false
	}
	m := v.Mark
	if v.storedMark.Kind != "" {
		at, err := time.Parse(markTime, v.storedMark.At)
		if err != nil {
			return journey.Mark{}, false
		}
		m = journey.Mark{At: at, Version: v.storedMark.Version, Step: v.storedMark.Step, Kind: v.storedMark.Kind, Note: v.storedMark.Note}
	}
	if m.Kind == "" {
		return journey.Mark{}, false
	}
	m.Journey, m.Run = journeyID, run
	return m, true
}

// recordParallel bounds the run records one RecordRuns writes at once. A
// batch of timed wakes flushes up to 1,000 records; one after the other
// they took seconds of the processor's invocation (and at load on a local
// machine, past its deadline), while each is a separate item.
const recordParallel = 16

// RecordRuns implements journeyrun.Store: one UpdateItem per run, setting
// where it is and appending its new marks, recordParallel at a time. Every
// record is attempted; the first error is returned.
func (st *Store) RecordRuns(ctx context.Context, rs []journeyrun.RunRecord) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		failed   int
	)
	sem := make(chan struct{}, recordParallel)
	for _, r := range rs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := st.recordRun(ctx, r); err != nil {
				mu.Lock()
				failed++
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("%d of %d run records: %w", failed, len(rs), firstErr)
	}
	return nil
}

func (st *Store) recordRun(ctx context.Context, r journeyrun.RunRecord) error {
	marks := make([]types.AttributeValue, 0, len(r.Marks))
	for _, m := range r.Marks {
		b, err := encodeMark(m)
		if err != nil {
			return fmt.Errorf("encode mark of run %s: %w", r.Run, err)
		}
		marks = append(marks, s(string(b)))
	}
	vals := map[string]types.AttributeValue{
		":j": s(r.Journey), ":v": n(r.Version), ":s": s(r.Step), ":st": s(r.Status), ":u": s(r.Updated.UTC().Format(time.RFC3339Nano)),
		":m": &types.AttributeValueMemberL{Value: marks}, ":e": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
		":since": s(timeOrEmpty(r.Since)), ":until": s(timeOrEmpty(r.Until)), ":for": s(r.For), ":start": s(timeOrEmpty(r.Started)),
	}
	expr := "SET journey = :j, version = :v, step = :s, run_status = :st, updated = :u, since = :since, waiting_until = :until, waiting_for = :for, " +
		"started = if_not_exists(started, :start), marks = list_append(if_not_exists(marks, :e), :m)"
	// An active run is listed at its step (the drill-down index); an
	// ended one leaves it, unless its entry is already out of the listing
	// (it ended at or after its wake: journeykeys.go), where removing it
	// would cost an index write for nothing.
	switch {
	case r.Status == journeyrun.StatusActive && r.Step != "" && !r.Since.IsZero():
		expr += ", " + attrGSI1PK + " = :gp, " + attrGSI1SK + " = :gs"
		vals[":gp"], vals[":gs"] = s(journeyStepGSIPK(r.Journey, r.Version, r.Step)), s(journeyStepGSISK(r.Until, r.ContactID))
	case r.Status != journeyrun.StatusActive && r.WokeAt:
		// The entry stays, keyed by the wake time already past.
	default:
		expr += " REMOVE " + attrGSI1PK + ", " + attrGSI1SK
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(st.table), Key: key(contactPK(r.ContactID), journeyRunSK(r.Journey, r.Run)),
		UpdateExpression: aws.String(expr), ExpressionAttributeValues: vals, ReturnConsumedCapacity: capacity,
	})
	if err != nil {
		return fmt.Errorf("record run %s of %s: %w", r.Run, r.ContactID, err)
	}
	return nil
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseRunTime(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

// ContactRuns implements journeyrun.Store: one Query of the contact's
// partition for its run records.
func (st *Store) ContactRuns(ctx context.Context, contactID string) ([]journeyrun.RunRecord, error) {
	var out []journeyrun.RunRecord
	var start map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(st.table), KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(contactPK(contactID)), ":p": s(prefixJourneyRun)},
			ExclusiveStartKey:         start, ReturnConsumedCapacity: capacity,
		})
		if err != nil {
			return nil, fmt.Errorf("runs of %s: %w", contactID, err)
		}
		for _, it := range res.Items {
			r := journeyrun.RunRecord{ContactID: contactID, Journey: str(it, "journey"), Version: num(it, "version"), Step: str(it, "step"),
				Status: str(it, "run_status"), Started: parseRunTime(str(it, "started")), Since: parseRunTime(str(it, "since")),
				Until: parseRunTime(str(it, "waiting_until")), For: str(it, "waiting_for"), Updated: parseRunTime(str(it, "updated"))}
			_, r.Run, _ = cutLast(str(it, attrSK))
			if l, ok := it["marks"].(*types.AttributeValueMemberL); ok {
				from := max(0, len(l.Value)-maxRunPath)
				for _, v := range l.Value[from:] {
					if sv, ok := v.(*types.AttributeValueMemberS); ok {
						if m, ok := decodeMark([]byte(sv.Value), r.Journey, r.Run); ok {
							r.Marks = append(r.Marks, m)
						}
					}
				}
			}
			out = append(out, r)
		}
		if start = res.LastEvaluatedKey; len(start) == 0 {
			break
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Started.After(out[b].Started) })
	return out, nil
}

// stepListingGrace is how long after a run's wake is due its index entry
// is still read: a wake is processed seconds after it is due (longer in a
// backlog), and until then the run is still at the step. Entries left
// behind by runs that ended at their wake are read (and dropped by the
// caller's check against the profiles) only during this grace.
const stepListingGrace = 10 * time.Minute

// StepContacts implements journeyrun.Store: one Query of the step's
// index partition (keys only), soonest wake first (held runs last), limit
// at a time, of the entries whose wake is after now less
// stepListingGrace. after is the previous page's cursor ("" for the first
// page).
func (st *Store) StepContacts(ctx context.Context, journeyID string, version int64, step, after string, limit int, now time.Time) ([]journeyrun.StepContact, string, error) {
	from := now.Add(-stepListingGrace).UTC().Format(journeyStepTimeLayout)
	if after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(after)
		if _, _, ok := parseJourneyStepGSISK(string(raw)); err != nil || !ok {
			return nil, "", journeyrun.ErrBadCursor
		}
		from = max(from, string(raw))
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(st.table), IndexName: aws.String(gsi1),
		KeyConditionExpression:    aws.String("gsi1pk = :p AND gsi1sk > :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(journeyStepGSIPK(journeyID, version, step)), ":a": s(from)},
		Limit:                     aws.Int32(int32(limit + 1)), ReturnConsumedCapacity: capacity,
	}
	res, err := st.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("runs at %s v%d step %s: %w", journeyID, version, step, err)
	}
	out := make([]journeyrun.StepContact, 0, len(res.Items))
	for _, it := range res.Items {
		until, contactID, ok := parseJourneyStepGSISK(str(it, attrGSI1SK))
		if !ok {
			continue
		}
		if until.Equal(journeyStepHeld) {
			until = time.Time{}
		}
		_, run, _ := cutLast(str(it, attrSK))
		out = append(out, journeyrun.StepContact{ContactID: contactID, Run: run, Until: until})
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(journeyStepGSISK(last.Until, last.ContactID)))
	}
	return out, next, nil
}

func cutLast(sk string) (string, string, bool) {
	for i := len(sk) - 1; i >= 0; i-- {
		if sk[i] == '#' {
			return sk[:i], sk[i+1:], true
		}
	}
	return "", sk, false
}

// AddStepCounts implements journeyrun.Store: one UpdateItem per journey
// version, ADDing every counter the batch moved, on a shard picked by the
// clock so concurrent batches rarely meet on one item.
func (st *Store) AddStepCounts(ctx context.Context, cs []journeyrun.StepCount) error {
	type jv struct {
		j string
		v int64
	}
	groups := map[jv][]journeyrun.StepCount{}
	for _, c := range cs {
		groups[jv{c.Journey, c.Version}] = append(groups[jv{c.Journey, c.Version}], c)
	}
	shard := int(time.Now().UnixNano() % journeyStatShards)
	for g, counts := range groups {
		names := map[string]string{}
		vals := map[string]types.AttributeValue{}
		expr := "ADD "
		for i, c := range counts {
			if i > 0 {
				expr += ", "
			}
			a, v := "#c"+strconv.Itoa(i), ":c"+strconv.Itoa(i)
			names[a], vals[v] = journeyCounterAttr(c.Step, c.Metric), n(c.N)
			expr += a + " " + v
		}
		_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(st.table), Key: key(journeyStatsPK(g.j), journeyStatsSK(g.v, shard)),
			UpdateExpression: aws.String(expr), ExpressionAttributeNames: names, ExpressionAttributeValues: vals, ReturnConsumedCapacity: capacity,
		})
		if err != nil {
			return fmt.Errorf("step counts of %s v%d: %w", g.j, g.v, err)
		}
	}
	return nil
}

// StepCounts implements journeyrun.Store: one Query of the journey's
// counters partition, shards summed.
func (st *Store) StepCounts(ctx context.Context, journeyID string) ([]journeyrun.StepCount, error) {
	sums := map[journeyrun.StepCount]int64{}
	var start map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(st.table), KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :v)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(journeyStatsPK(journeyID)), ":v": s("V#")},
			ExclusiveStartKey:         start, ReturnConsumedCapacity: capacity,
		})
		if err != nil {
			return nil, fmt.Errorf("step counts of %s: %w", journeyID, err)
		}
		for _, it := range res.Items {
			v, ok := parseJourneyStatsSK(str(it, attrSK))
			if !ok {
				continue
			}
			for a := range it {
				if step, metric, ok := parseJourneyCounterAttr(a); ok {
					sums[journeyrun.StepCount{Journey: journeyID, Version: v, Step: step, Metric: metric}] += num(it, a)
				}
			}
		}
		if start = res.LastEvaluatedKey; len(start) == 0 {
			break
		}
	}
	out := make([]journeyrun.StepCount, 0, len(sums))
	for k, n := range sums {
		k.N = n
		out = append(out, k)
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.Version != y.Version {
			return x.Version < y.Version
		}
		if x.Step != y.Step {
			return x.Step < y.Step
		}
		return x.Metric < y.Metric
	})
	return out, nil
}

// AddPlanned implements journeyrun.Store: one UpdateItem per journey and
// day, ADDing the batch's sums on a shard picked by the clock (as
// AddStepCounts), and setting the item's expiry.
func (st *Store) AddPlanned(ctx context.Context, ps []journeyrun.PlanCount) error {
	shard := int(time.Now().UnixNano() % journeyStatShards)
	for _, p := range ps {
		day, err := time.Parse(time.DateOnly, p.Day)
		if err != nil {
			return fmt.Errorf("planned volume of %s: day %q: %w", p.Journey, p.Day, err)
		}
		_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(st.table), Key: key(journeyStatsPK(p.Journey), journeyPlanSK(p.Day, shard)),
			UpdateExpression:         aws.String("ADD #r :r, #e :e SET #ttl = :ttl"),
			ExpressionAttributeNames: map[string]string{"#r": "runs", "#e": "emails", "#ttl": attrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{":r": n(p.Runs), ":e": n(p.Emails),
				":ttl": n(day.Add(journeyPlanKeep).Unix())},
			ReturnConsumedCapacity: capacity,
		})
		if err != nil {
			return fmt.Errorf("planned volume of %s on %s: %w", p.Journey, p.Day, err)
		}
	}
	return nil
}

// Planned implements journeyrun.Store: one Query of the journey's
// planned-volume items from the first day to the last, shards summed.
func (st *Store) Planned(ctx context.Context, journeyID, from, to string) ([]journeyrun.PlanCount, error) {
	sums := map[string]*journeyrun.PlanCount{}
	var days []string
	var start map[string]types.AttributeValue
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(st.table), KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :a AND :b"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(journeyStatsPK(journeyID)),
				":a": s(prefixJourneyPlan + from), ":b": s(prefixJourneyPlan + to + "#~")},
			ExclusiveStartKey: start, ReturnConsumedCapacity: capacity,
		})
		if err != nil {
			return nil, fmt.Errorf("planned volume of %s: %w", journeyID, err)
		}
		for _, it := range res.Items {
			day, ok := parseJourneyPlanSK(str(it, attrSK))
			if !ok {
				continue
			}
			p := sums[day]
			if p == nil {
				p = &journeyrun.PlanCount{Journey: journeyID, Day: day}
				sums[day] = p
				days = append(days, day)
			}
			p.Runs += num(it, "runs")
			p.Emails += num(it, "emails")
		}
		if start = res.LastEvaluatedKey; len(start) == 0 {
			break
		}
	}
	out := make([]journeyrun.PlanCount, 0, len(days))
	for _, d := range days { // the Query's order: by day
		// Runs planned before the counters existed are taken off without
		// having been put on: a day never shows less than nothing.
		if p := sums[d]; p.Runs > 0 {
			p.Emails = min(max(p.Emails, 0), p.Runs)
			out = append(out, *p)
		}
	}
	return out, nil
}

// PutHeld implements journeyrun.Store: one PutItem (written again, the
// same item; held_at tells the writes apart for DeleteHeld).
func (st *Store) PutHeld(ctx context.Context, h journeyrun.HeldRun) error {
	item := key(journeyHeldPK(h.Journey), journeyHeldSK(h.ContactID, h.Run))
	item["version"], item["step"], item["held_at"] = n(h.Version), s(h.Step), s(h.At.UTC().Format(time.RFC3339Nano))
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item, ReturnConsumedCapacity: capacity}); err != nil {
		return fmt.Errorf("hold run %s of %s in %s: %w", h.Run, h.ContactID, h.Journey, err)
	}
	return nil
}

// HeldRuns implements journeyrun.Store: one Query of the journey's held
// partition per page, in key order; the cursor is the last key read.
func (st *Store) HeldRuns(ctx context.Context, journeyID, after string, limit int) ([]journeyrun.HeldRun, string, error) {
	in := &dynamodb.QueryInput{
		TableName: aws.String(st.table), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(journeyHeldPK(journeyID))},
		Limit:                     aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: capacity,
	}
	if after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(after)
		if _, _, ok := parseJourneyHeldSK(string(raw)); err != nil || !ok {
			return nil, "", journeyrun.ErrBadCursor
		}
		in.KeyConditionExpression = aws.String("pk = :p AND sk > :a")
		in.ExpressionAttributeValues[":a"] = s(string(raw))
	}
	res, err := st.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("held runs of %s: %w", journeyID, err)
	}
	out := make([]journeyrun.HeldRun, 0, len(res.Items))
	last := ""
	for _, it := range res.Items {
		last = str(it, attrSK)
		contactID, run, ok := parseJourneyHeldSK(last)
		if !ok {
			continue
		}
		out = append(out, journeyrun.HeldRun{Journey: journeyID, ContactID: contactID, Run: run, Version: num(it, "version"), Step: str(it, "step"),
			At: parseRunTime(str(it, "held_at"))})
	}
	next := ""
	if len(res.LastEvaluatedKey) > 0 && last != "" {
		next = base64.RawURLEncoding.EncodeToString([]byte(last))
	}
	return out, next, nil
}

// DeleteHeld implements journeyrun.Store: a DeleteItem on condition that
// the entry is the one read (held_at unchanged); an entry already gone or
// written again since is left alone.
func (st *Store) DeleteHeld(ctx context.Context, h journeyrun.HeldRun) error {
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(st.table), Key: key(journeyHeldPK(h.Journey), journeyHeldSK(h.ContactID, h.Run)),
		ConditionExpression:       aws.String("held_at = :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(h.At.UTC().Format(time.RFC3339Nano))},
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("unlist held run %s of %s in %s: %w", h.Run, h.ContactID, h.Journey, err)
	}
	return nil
}

// MoveRuns implements journeyrun.Store: per run, a consistent GetItem of
// the merged-away contact's record, then one transaction that puts the
// survivor's record (on condition there is none: a move already made is
// not made again), deletes the old record and the old held entry, and adds
// a merged end's count. A record the old contact's batch flushed after the
// move (a late history write) is deleted when found.
func (st *Store) MoveRuns(ctx context.Context, moves []journeyrun.RunMove) error {
	for _, mv := range moves {
		if err := st.moveRun(ctx, mv); err != nil {
			return fmt.Errorf("move run %s of %s to %s: %w", mv.Run.Run, mv.From, mv.Run.ContactID, err)
		}
	}
	return nil
}

func (st *Store) moveRun(ctx context.Context, mv journeyrun.RunMove) error {
	r := mv.Run
	old := key(contactPK(mv.From), journeyRunSK(r.Journey, r.Run))
	got, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.table), Key: old, ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: capacity})
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	item := map[string]types.AttributeValue{}
	for k, v := range got.Item {
		item[k] = v
	}
	var marks []types.AttributeValue
	if l, ok := item["marks"].(*types.AttributeValueMemberL); ok {
		marks = append(marks, l.Value...)
	}
	for _, m := range r.Marks {
		b, err := encodeMark(m)
		if err != nil {
			return fmt.Errorf("encode mark: %w", err)
		}
		marks = append(marks, s(string(b)))
	}
	if over := len(marks) - maxRunPath; over > 0 {
		marks = marks[over:]
	}
	started := str(item, "started")
	if started == "" {
		started = timeOrEmpty(r.Started)
	}
	for k, v := range key(contactPK(r.ContactID), journeyRunSK(r.Journey, r.Run)) {
		item[k] = v
	}
	item["journey"], item["version"], item["step"], item["run_status"] = s(r.Journey), n(r.Version), s(r.Step), s(r.Status)
	item["updated"], item["since"], item["waiting_until"], item["waiting_for"] = s(r.Updated.UTC().Format(time.RFC3339Nano)), s(timeOrEmpty(r.Since)), s(timeOrEmpty(r.Until)), s(r.For)
	item["started"], item["marks"] = s(started), &types.AttributeValueMemberL{Value: marks}
	delete(item, attrGSI1PK)
	delete(item, attrGSI1SK)
	if r.Status == journeyrun.StatusActive && r.Step != "" && !r.Since.IsZero() {
		item[attrGSI1PK], item[attrGSI1SK] = s(journeyStepGSIPK(r.Journey, r.Version, r.Step)), s(journeyStepGSISK(r.Until, r.ContactID))
	}
	tx := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(st.table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Delete: &types.Delete{TableName: aws.String(st.table), Key: old}},
		{Delete: &types.Delete{TableName: aws.String(st.table), Key: key(journeyHeldPK(r.Journey), journeyHeldSK(mv.From, r.Run))}},
	}
	if c := mv.Count; c != nil {
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(st.table), Key: key(journeyStatsPK(c.Journey), journeyStatsSK(c.Version, int(time.Now().UnixNano()%journeyStatShards))),
			UpdateExpression:          aws.String("ADD #c :n"),
			ExpressionAttributeNames:  map[string]string{"#c": journeyCounterAttr(c.Step, c.Metric)},
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(c.N)},
		}})
	}
	_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx, ReturnConsumedCapacity: capacity})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 && aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		// Moved before: only a late copy at the old contact can be left.
		if got.Item == nil {
			return nil
		}
		if _, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(st.table), Key: old, ReturnConsumedCapacity: capacity}); err != nil {
			return fmt.Errorf("delete the late copy: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("move: %w", err)
	}
	return nil
}
