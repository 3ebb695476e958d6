package imports

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// batchRun is an import of one file on in-memory ports.
type batchRun struct {
	st     *memStore
	blobs  *memBlobs
	events *memQueue
	r      *Runner
	imp    Import
}

func newBatchRun(t *testing.T, file string, size int) *batchRun {
	t.Helper()
	b := &batchRun{st: newMemStore(), blobs: &memBlobs{objects: map[string][]byte{}}, events: &memQueue{}}
	b.r = &Runner{Store: b.st, Blobs: b.blobs, Events: b.events, PageSize: size, RowsPerMessage: 2,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Next: func(context.Context, string, int) error { return nil }}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b.imp = Import{ID: "imp_b", Definition: Definition{Columns: Columns{Email: "Email", Traits: map[string]string{"first_name": "Name"}}},
		State: StateRunning, CreatedAt: at, StartedAt: at}
	b.st.PutImport(context.Background(), b.imp)
	b.blobs.Put(context.Background(), UploadKey(b.imp.ID), []byte(file), "text/csv")
	return b
}

// runAll runs pages until the import is done (at most limit pages).
func (b *batchRun) runAll(t *testing.T, limit int) Import {
	t.Helper()
	ctx := context.Background()
	for range limit {
		imp, err := b.st.GetImport(ctx, b.imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if imp.State != StateRunning {
			return imp
		}
		if err := b.r.RunPage(ctx, imp.ID, imp.Checkpoint.Page); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("not done after %d pages", limit)
	return Import{}
}

// handed maps each handed message's line (from its id) to its contact id
// and first_name, over every body queued.
func (b *batchRun) handed(t *testing.T) (contacts map[int]string, names map[int]string, count int) {
	t.Helper()
	contacts, names = map[int]string{}, map[int]string{}
	for _, body := range b.events.bodies {
		batch, err := tracking.DecodeBatch(body)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range batch.Messages {
			var line int
			if _, err := fmt.Sscanf(m.MessageID, "imp-imp_b-%d", &line); err != nil {
				t.Fatalf("message id %q", m.MessageID)
			}
			count++
			if m.ContactID == "" {
				t.Errorf("line %d handed without a contact id: the processor would resolve it again", line)
			}
			if old, ok := contacts[line]; ok && old != m.ContactID {
				t.Errorf("line %d handed to %s and to %s", line, old, m.ContactID)
			}
			contacts[line] = m.ContactID
			names[line], _ = m.Traits["first_name"].(string)
		}
	}
	return contacts, names, count
}

// Duplicates are found within a page (a map) and across pages (the claims),
// for new contacts and for contacts known before the import; each page
// claims its emails in one call, and every kept row goes to its contact.
func TestImportBatchDuplicatesWithinAndAcrossPages(t *testing.T) {
	file := "Email,Name\n" +
		"a@example.com,A\n" + // 2
		"b@example.com,B\n" + // 3
		"A@Example.com,A2\n" + // 4: duplicate of 2, same page
		"known@example.com,K\n" + // 5: a contact from before
		"c@example.com,C\n" + // 6
		"b@example.com,B2\n" + // 7: duplicate of 3, across pages
		"known@example.com,K2\n" + // 8: duplicate of 5 (known contact), across pages
		"d@example.com,D\n" + // 9
		"c@example.com,C2\n" // 10: duplicate of 6
	b := newBatchRun(t, file, 3)
	b.st.links["known@example.com"] = memLink{contact: "c_known"}
	imp := b.runAll(t, 10)
	if imp.State != StateDone || imp.Rows != 9 || imp.Imported != 5 || imp.Failed != 4 || imp.Duplicates != 4 {
		t.Fatalf("import %+v: want done, 9 rows, 5 imported, 4 failed, 4 duplicates", imp)
	}
	if b.st.claimCalls != 3 {
		t.Errorf("%d claim calls for 3 pages: emails must be claimed per page, not per row", b.st.claimCalls)
	}
	report := string(b.blobs.objects[ReportKey(imp.ID)])
	want := "line,email,reason\n" +
		"4,a@example.com,duplicate of line 2\n" +
		"7,b@example.com,duplicate of line 3\n" +
		"8,known@example.com,duplicate of line 5\n" +
		"10,c@example.com,duplicate of line 6\n"
	if report != want {
		t.Errorf("report\n%s\nwant\n%s", report, want)
	}
	contacts, names, count := b.handed(t)
	if count != 5 || len(contacts) != 5 {
		t.Fatalf("%d messages for lines %v, want one for each of 2, 3, 5, 6, 9", count, contacts)
	}
	if contacts[5] != "c_known" || names[5] != "K" {
		t.Errorf("the known contact's row went to %q with name %q", contacts[5], names[5])
	}
	distinct := map[string]bool{}
	for _, line := range []int{2, 3, 6, 9} {
		if c := contacts[line]; c == "" || c == "c_known" || distinct[c] {
			t.Errorf("line %d went to %q: want a new contact of its own (%v)", line, c, contacts)
		}
		distinct[contacts[line]] = true
	}
	if names[2] != "A" || names[3] != "B" || names[6] != "C" {
		t.Errorf("the first row of each email must win: %v", names)
	}
	if len(b.st.links) != 5 {
		t.Errorf("%d links, want the known one and 4 new", len(b.st.links))
	}
}

// Invalid rows are reported with their file line, also when a quoted
// field spans lines and when they fall on a later page; valid rows around
// them are imported.
func TestImportBatchInvalidRowsKeepTheirLines(t *testing.T) {
	file := "Email,Name\n" +
		"a@example.com,\"two\nlines\"\n" + // 2-3
		"nope,X\n" + // 4
		",Y\n" + // 5
		"b@example.com,B,extra\n" + // 6
		"\n" + // 7: blank, skipped
		"c@example.com,C\n" + // 8
		"bad@,Z\n" // 9
	b := newBatchRun(t, file, 2)
	imp := b.runAll(t, 10)
	if imp.Rows != 6 || imp.Imported != 2 || imp.Failed != 4 || imp.Duplicates != 0 {
		t.Fatalf("import %+v: want 6 rows, 2 imported, 4 failed", imp)
	}
	report := string(b.blobs.objects[ReportKey(imp.ID)])
	want := "line,email,reason\n" +
		"4,nope,\"invalid email \"\"nope\"\"\"\n" +
		"5,,no email\n" +
		"6,b@example.com,\"has 3 fields, the header has 2\"\n" +
		"9,bad@,\"invalid email \"\"bad@\"\"\"\n"
	if report != want {
		t.Errorf("report\n%s\nwant\n%s", report, want)
	}
	contacts, names, _ := b.handed(t)
	if len(contacts) != 2 || contacts[2] == "" || contacts[8] == "" || names[2] != "two lines" {
		t.Errorf("handed %v %v, want lines 2 and 8", contacts, names)
	}
}

// A crash after a page's contacts were claimed and its rows handed, before
// its commit: the page runs again and finds the same contacts (no new
// contact, no row its own duplicate), hands the same messages, and the
// import ends with each email imported once.
func TestImportBatchCrashResumesWithoutDuplicates(t *testing.T) {
	var file strings.Builder
	file.WriteString("Email,Name\n")
	for i := range 10 {
		fmt.Fprintf(&file, "p%d@example.com,P%d\n", i, i)
	}
	b := newBatchRun(t, file.String(), 4)
	ctx := context.Background()
	if err := b.r.RunPage(ctx, b.imp.ID, 0); err != nil {
		t.Fatal(err)
	}
	b.st.failSave = true // page 1 crashes before its commit
	if err := b.r.RunPage(ctx, b.imp.ID, 1); err == nil {
		t.Fatal("a lost commit must fail the page")
	}
	first, _, _ := b.handed(t)
	links := len(b.st.links)
	imp := b.runAll(t, 10)
	if imp.State != StateDone || imp.Rows != 10 || imp.Imported != 10 || imp.Failed != 0 || imp.Duplicates != 0 {
		t.Fatalf("import %+v: want done, 10 rows, 10 imported, none failed", imp)
	}
	if links != 8 || len(b.st.links) != 10 {
		t.Errorf("links %d after the crash, %d at the end: want 8 and 10 (the rerun links nothing twice)", links, len(b.st.links))
	}
	again, _, count := b.handed(t)
	if count != 14 {
		t.Errorf("%d messages, want 14 (10 rows, page 1's 4 handed twice)", count)
	}
	for line, c := range first {
		if again[line] != c {
			t.Errorf("line %d went to %s before the crash and %s after", line, c, again[line])
		}
	}
	if _, ok := b.blobs.objects[ReportKey(imp.ID)]; ok {
		t.Error("an error report for an import with no failed row")
	}
}
