package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
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

// RecordRuns implements journeyrun.Store: one UpdateItem per run, setting
// where it is and appending its new marks.
func (st *Store) RecordRuns(ctx context.Context, rs []journeyrun.RunRecord) error {
	for _, r := range rs {
		marks := make([]types.AttributeValue, 0, len(r.Marks))
		for _, m := range r.Marks {
			b, err := json.Marshal(m)
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
		// ended one leaves it.
		if r.Status == journeyrun.StatusActive && r.Step != "" && !r.Since.IsZero() {
			expr += ", " + attrGSI1PK + " = :gp, " + attrGSI1SK + " = :gs"
			vals[":gp"], vals[":gs"] = s(journeyStepGSIPK(r.Journey, r.Version, r.Step)), s(journeyStepGSISK(r.Since, r.ContactID))
		} else {
			expr += " REMOVE " + attrGSI1PK + ", " + attrGSI1SK
		}
		_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(st.table), Key: key(contactPK(r.ContactID), journeyRunSK(r.Journey, r.Run)),
			UpdateExpression: aws.String(expr), ExpressionAttributeValues: vals, ReturnConsumedCapacity: capacity,
		})
		if err != nil {
			return fmt.Errorf("record run %s of %s: %w", r.Run, r.ContactID, err)
		}
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
					var m journey.Mark
					if sv, ok := v.(*types.AttributeValueMemberS); ok && json.Unmarshal([]byte(sv.Value), &m) == nil {
						r.Marks = append(r.Marks, m)
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

// StepContacts implements journeyrun.Store: one Query of the step's
// index partition (keys only), oldest arrival first, limit at a time.
// after is the previous page's cursor ("" for the first page).
func (st *Store) StepContacts(ctx context.Context, journeyID string, version int64, step, after string, limit int) ([]journeyrun.StepContact, string, error) {
	in := &dynamodb.QueryInput{
		TableName: aws.String(st.table), IndexName: aws.String(gsi1),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(journeyStepGSIPK(journeyID, version, step))},
		Limit:                     aws.Int32(int32(limit + 1)), ReturnConsumedCapacity: capacity,
	}
	if after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(after)
		if _, _, ok := parseJourneyStepGSISK(string(raw)); err != nil || !ok {
			return nil, "", journeyrun.ErrBadCursor
		}
		in.KeyConditionExpression = aws.String("gsi1pk = :p AND gsi1sk > :a")
		in.ExpressionAttributeValues[":a"] = s(string(raw))
	}
	res, err := st.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("runs at %s v%d step %s: %w", journeyID, version, step, err)
	}
	out := make([]journeyrun.StepContact, 0, len(res.Items))
	for _, it := range res.Items {
		since, contactID, ok := parseJourneyStepGSISK(str(it, attrGSI1SK))
		if !ok {
			continue
		}
		_, run, _ := cutLast(str(it, attrSK))
		out = append(out, journeyrun.StepContact{ContactID: contactID, Run: run, Since: since})
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(journeyStepGSISK(last.Since, last.ContactID)))
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
			TableName: aws.String(st.table), KeyConditionExpression: aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(journeyStatsPK(journeyID))},
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
