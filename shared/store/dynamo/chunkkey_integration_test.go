package dynamo_test

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/tracking"
)

// TestChunkOfACommitIsRewrittenNotDuplicated: the processor writes a
// commit's events with what its reactors recorded (segment entries); a
// conflict retry of the same events may record something else, and must
// replace the chunk, not add a second copy of the events.
func TestChunkOfACommitIsRewrittenNotDuplicated(t *testing.T) {
	_, st := localTable(t, "chunkkey")
	ctx := t.Context()
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	ev := tracking.Message{Type: tracking.TypePage, MessageID: "m1", AnonymousID: "a", Timestamp: at, ReceivedAt: at}
	seg := tracking.Message{Type: tracking.TypeTrack, MessageID: "seg-1", Event: "Segment Entered", ContactID: "c1", Timestamp: at, ReceivedAt: at}
	commit := contact.Commit{ID: 42, Parent: 7}
	if err := st.PutEvents(ctx, "c1", commit, []tracking.Message{ev, seg}, nil); err != nil {
		t.Fatal(err)
	}
	commit.Parent = 9 // the re-read profile's last commit
	if err := st.PutEvents(ctx, "c1", commit, []tracking.Message{ev}, nil); err != nil {
		t.Fatal(err)
	}
	chunks, err := st.Chunks(ctx, []string{"c1"}, at.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 || len(chunks[0].MessageIDs) != 1 || chunks[0].MessageIDs[0] != "m1" || chunks[0].Commit.Parent != 9 {
		t.Fatalf("chunks %+v, want the retry's one chunk", chunks)
	}
	// Another commit with the same newest event time is a chunk of its own.
	if err := st.PutEvents(ctx, "c1", contact.Commit{ID: 43}, []tracking.Message{{Type: tracking.TypePage, MessageID: "m2", AnonymousID: "a", Timestamp: at, ReceivedAt: at}}, nil); err != nil {
		t.Fatal(err)
	}
	if chunks, _ = st.Chunks(ctx, []string{"c1"}, at.Add(-time.Hour)); len(chunks) != 2 {
		t.Errorf("%d chunks, want 2", len(chunks))
	}
}
