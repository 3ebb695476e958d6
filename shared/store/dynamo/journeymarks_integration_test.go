package dynamo_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"

	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// A run record's path is stored compactly (no journey or run in each
// entry: the record has them) and read back whole; paths written before,
// with whole entries, still read.
func TestRunRecordPathIsStoredCompactly(t *testing.T) {
	db, ctx := localDB, t.Context()
	table := fmt.Sprintf("jmarks-%d", tableSeq.Add(1))
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(db, table)
	at := time.Date(2026, 12, 7, 17, 19, 31, 712_000_000, time.UTC)
	const cid, jid, run = "c_marks", "bench-timed", "r0123456789abcdef01"
	mk := func(d time.Duration, step, kind, note string) journey.Mark {
		return journey.Mark{At: at.Add(d), Journey: jid, Version: 3, Run: run, Step: step, Kind: kind, Note: note}
	}
	entry := []journey.Mark{
		mk(0, "", "enter", "entered: event Bench Timed"),
		mk(0, "pause", "wait", "waiting for mon/tue/wed/thu/fri/sat/sun 17:29 in UTC (until 2026-12-07T17:29:00Z)"),
	}
	wake := []journey.Mark{
		mk(10*time.Minute, "pause", "wait", "waited until 2026-12-07T17:29:00Z"),
		mk(10*time.Minute, "check", "branch", "took else: has tag vip: no"),
		mk(10*time.Minute, "tag", "update", "updated the contact"),
		mk(10*time.Minute, "tag", "end", "completed: reached the end"),
	}
	base := journeyrun.RunRecord{ContactID: cid, Journey: jid, Version: 3, Run: run, Started: at, Updated: at}
	first := base
	first.Status, first.Step, first.Since, first.Until, first.Marks = journeyrun.StatusActive, "pause", at, at.Add(10*time.Minute), entry
	if err := st.RecordRuns(ctx, []journeyrun.RunRecord{first}); err != nil {
		t.Fatal(err)
	}
	second := base
	second.Status, second.Step, second.Marks = "completed", "tag", wake
	if err := st.RecordRuns(ctx, []journeyrun.RunRecord{second}); err != nil {
		t.Fatal(err)
	}

	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "C#" + cid}, "sk": &types.AttributeValueMemberS{Value: "JR#" + jid + "#" + run}}
	raw, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	l, ok := raw.Item["marks"].(*types.AttributeValueMemberL)
	if !ok || len(l.Value) != 6 {
		t.Fatalf("stored marks = %#v, want a list of 6", raw.Item["marks"])
	}
	size := 0
	for _, v := range l.Value {
		s := v.(*types.AttributeValueMemberS).Value
		size += len(s)
		if strings.Contains(s, jid) && !strings.Contains(s, "entered") || strings.Contains(s, run) {
			t.Errorf("stored entry repeats the record's journey or run: %s", s)
		}
	}
	if size > 6*110 {
		t.Errorf("six stored entries take %d bytes, want at most %d", size, 6*110)
	}

	// An entry in the whole form, as records written before hold them.
	old := `{"at":"2026-12-07T17:40:00.123456789Z","journey":"bench-timed","version":3,"run":"r0123456789abcdef01","step":"tag","kind":"stop","note":"stopped by an operator"}`
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key,
		UpdateExpression:          aws.String("SET marks = list_append(marks, :m)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":m": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: old}}}}})
	if err != nil {
		t.Fatal(err)
	}

	runs, err := st.ContactRuns(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("runs = %+v, want 1", runs)
	}
	want := append(append(append([]journey.Mark{}, entry...), wake...),
		journey.Mark{At: time.Date(2026, 12, 7, 17, 40, 0, 123456789, time.UTC), Journey: jid, Version: 3, Run: run, Step: "tag", Kind: "stop", Note: "stopped by an operator"})
	got := runs[0].Marks
	if len(got) != len(want) {
		t.Fatalf("path has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) || got[i].Journey != want[i].Journey || got[i].Run != want[i].Run || got[i].Version != want[i].Version ||
			got[i].Step != want[i].Step || got[i].Kind != want[i].Kind || got[i].Note != want[i].Note {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// A batch's run records are written together (a flush of 1,000 timed
// wakes): every one lands, and a failure of some is reported, not hidden
// by the others' success.
func TestRecordRunsWritesEveryRecordOfABatch(t *testing.T) {
	db, ctx := localDB, t.Context()
	table := fmt.Sprintf("jmarks-%d", tableSeq.Add(1))
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(db, table)
	at := time.Date(2026, 12, 7, 20, 5, 0, 0, time.UTC)
	var rs []journeyrun.RunRecord
	for i := range 60 {
		rs = append(rs, journeyrun.RunRecord{ContactID: fmt.Sprintf("c_batch%02d", i), Journey: "j", Version: 1, Run: fmt.Sprintf("r%02d", i),
			Step: "tag", Status: "completed", Started: at, Updated: at,
			Marks: []journey.Mark{{At: at, Journey: "j", Version: 1, Run: fmt.Sprintf("r%02d", i), Step: "tag", Kind: "end", Note: "completed"}}})
	}
	if err := st.RecordRuns(ctx, rs); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		got, err := st.ContactRuns(ctx, r.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Run != r.Run || got[0].Status != "completed" || len(got[0].Marks) != 1 {
			t.Fatalf("%s: runs %+v", r.ContactID, got)
		}
	}

	// Records of a table that does not exist all fail: the error says how many.
	err := dynamo.New(db, table+"-missing").RecordRuns(ctx, rs[:5])
	if err == nil || !strings.Contains(err.Error(), "5 of 5 run records") {
		t.Fatalf("error %v, want all 5 reported", err)
	}
}
