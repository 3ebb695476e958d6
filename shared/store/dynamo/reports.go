package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/report"
)

// Report counters (KEYS.md, "Report counters"): one item per UTC day and
// shard, a number attribute per counter. Keys are built here.
const skReport = "RPT"

// reportPK is one day's counters on one shard.
func reportPK(day string, shard int) string { return "RPT#" + day + "#" + strconv.Itoa(shard) }

// dayOfReportPK reads the day back from a key.
func dayOfReportPK(pk string) string {
	rest := strings.TrimPrefix(pk, "RPT#")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		return rest[:i]
	}
	return rest
}

var (
	_ report.Writer = (*Store)(nil)
	_ report.Reader = (*Store)(nil)
)

// AddReportCounts adds counts to a day's counter item on one shard: one
// UpdateItem ADD, whatever the number of counters (an item of a day's
// counters stays far under 1 KB: one write unit).
func (st *Store) AddReportCounts(ctx context.Context, day string, shard int, counts report.Counts) error {
	names := make([]string, 0, len(counts))
	for k, v := range counts {
		if v != 0 {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	attrNames := make(map[string]string, len(names))
	values := make(map[string]types.AttributeValue, len(names))
	for i, k := range names {
		p := strconv.Itoa(i)
		parts[i] = "#c" + p + " :c" + p
		attrNames["#c"+p] = k
		values[":c"+p] = n(counts[k])
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(reportPK(day, shard), skReport),
		UpdateExpression:          aws.String("ADD " + strings.Join(parts, ", ")),
		ExpressionAttributeNames:  attrNames,
		ExpressionAttributeValues: values,
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil {
		return fmt.Errorf("add report counts of %s shard %d: %w", day, shard, err)
	}
	return nil
}

// ReportCounts reads the days' counter items on every shard (BatchGetItem,
// eventually consistent: a report may miss the last second's counts) and
// sums them per day.
func (st *Store) ReportCounts(ctx context.Context, days []string) (report.Tally, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(days)*report.Shards)
	for _, d := range days {
		for sh := range report.Shards {
			keys = append(keys, key(reportPK(d, sh), skReport))
		}
	}
	// The calls of 100 keys each go out together: a 90-day report is eight
	// of them, and the dashboard waits for the slowest, not their sum.
	parts := make([][]map[string]types.AttributeValue, (len(keys)+99)/100)
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			parts[i], errs[i] = st.batchGet(ctx, keys[i*100:min((i+1)*100, len(keys))], false)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("read report counters: %w", err)
	}
	t := report.Tally{}
	for _, it := range slices.Concat(parts...) {
		day := dayOfReportPK(str(it, attrPK))
		for name, v := range it {
			if name == attrPK || name == attrSK {
				continue
			}
			if num, ok := v.(*types.AttributeValueMemberN); ok {
				x, err := strconv.ParseInt(num.Value, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("report counter %s of %s: %w", name, day, err)
				}
				t.Add(day, name, x)
			}
		}
	}
	return t, nil
}
