package imports

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// BenchmarkImportPage is the CPU of one 1,000-row page in the jobs
// function: read and check the rows, claim them (in memory here), encode
// the identify calls. The AWS model in BENCHMARKS.md adds the requests'
// latency to it.
func BenchmarkImportPage(b *testing.B) {
	var file strings.Builder
	file.WriteString("Email,First name,Company,Country,Tags,Opt-in\n")
	for i := range DefaultPageSize {
		fmt.Fprintf(&file, "lead%07d@company%d.test,Lead %d,Company %d,DE,imported;bench,%s\n", i, i%997, i, i%997, []string{"yes", "no"}[i%2])
	}
	def := Definition{Columns: Columns{Email: "Email", Tags: "Tags", Consent: "Opt-in",
		Traits: map[string]string{"first_name": "First name", "company": "Company", "country": "Country"}}, ListID: "bench",
		Consent: &Basis{Evidence: "bench"}}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		st := newMemStore()
		blobs := &memBlobs{objects: map[string][]byte{}}
		r := &Runner{Store: st, Blobs: blobs, Events: &memQueue{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Next: func(context.Context, string, int) error { return nil }}
		imp := Import{ID: "imp_bench", Definition: def, State: StateRunning, CreatedAt: at, StartedAt: at}
		st.PutImport(context.Background(), imp)
		blobs.Put(context.Background(), UploadKey(imp.ID), []byte(file.String()), "text/csv")
		if err := r.RunPage(context.Background(), imp.ID, 0); err != nil {
			b.Fatal(err)
		}
	}
}
