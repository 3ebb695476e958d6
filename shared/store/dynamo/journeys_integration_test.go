package dynamo_test

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/journeyrun"
)

// TestHeldRunsDynamoDB: the held index on DynamoDB Local. A run listed
// twice is one entry; paging reads every entry once; an entry is unlisted
// only if it was not written again since it was read (a run held anew
// stays listed); another journey's runs are not read.
func TestHeldRunsDynamoDB(t *testing.T) {
	ctx := t.Context()
	_, st := localTable(t, "held")
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var all []journeyrun.HeldRun
	for i, c := range []string{"c_a", "c_b", "c_c", "c_d", "c_e"} {
		h := journeyrun.HeldRun{Journey: "j", ContactID: c, Run: "r" + c, Version: 2, Step: "b", At: at.Add(time.Duration(i) * time.Millisecond)}
		all = append(all, h)
		for range 2 {
			if err := st.PutHeld(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.PutHeld(ctx, journeyrun.HeldRun{Journey: "other", ContactID: "c_a", Run: "rx", Step: "s", At: at}); err != nil {
		t.Fatal(err)
	}
	var got []journeyrun.HeldRun
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page, next, err := st.HeldRuns(ctx, "j", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if cursor = next; cursor == "" {
			break
		}
	}
	if len(got) != len(all) {
		t.Fatalf("read %d held runs, want %d: %+v", len(got), len(all), got)
	}
	for i, h := range got {
		if !(h.Journey == all[i].Journey && h.ContactID == all[i].ContactID && h.Run == all[i].Run && h.Version == 2 && h.Step == "b" && h.At.Equal(all[i].At)) {
			t.Errorf("held %d = %+v, want %+v", i, h, all[i])
		}
	}
	if _, _, err := st.HeldRuns(ctx, "j", "bm9wZQ", 2); err != journeyrun.ErrBadCursor {
		t.Errorf("made-up cursor: err = %v", err)
	}
	// c_a is held anew after the read: the resume's delete leaves it.
	again := got[0]
	again.At = at.Add(time.Hour)
	if err := st.PutHeld(ctx, again); err != nil {
		t.Fatal(err)
	}
	for _, h := range got {
		if err := st.DeleteHeld(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	left, next, err := st.HeldRuns(ctx, "j", "", 10)
	if err != nil || next != "" || len(left) != 1 || left[0].ContactID != "c_a" || !left[0].At.Equal(again.At) {
		t.Fatalf("after the deletes: %+v %q %v; want c_a's new hold only", left, next, err)
	}
	if other, _, err := st.HeldRuns(ctx, "other", "", 10); err != nil || len(other) != 1 {
		t.Fatalf("other journey: %+v %v", other, err)
	}
}
