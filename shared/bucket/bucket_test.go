package bucket_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/bucket"
	"github.com/leadflow/leadflow/shared/imports"
	"github.com/leadflow/leadflow/shared/localaws"
)

// localBucket is a new bucket on an in-memory local S3 server (gofakes3),
// configured as the local runner configures the functions.
func localBucket(t *testing.T) *bucket.Bucket {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := localaws.StartS3(ctx, localaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	b := bucket.New(runner.AWSConfig(runner.Endpoints{S3: srv.Endpoint}), "files")
	if err := b.Create(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

func read(t *testing.T, b *bucket.Bucket, key string, offset int64) string {
	t.Helper()
	r, err := b.Open(context.Background(), key, offset)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestBucketReadsWritesAndMissingObjects(t *testing.T) {
	ctx := context.Background()
	b := localBucket(t)
	if err := b.Create(ctx); err != nil {
		t.Errorf("creating the bucket again: %v", err)
	}
	if _, err := b.Size(ctx, "imports/none.csv"); !errors.Is(err, imports.ErrNoUpload) {
		t.Errorf("Size of a missing object: %v, want ErrNoUpload", err)
	}
	if _, err := b.Open(ctx, "imports/none.csv", 0); !errors.Is(err, imports.ErrNoUpload) {
		t.Errorf("Open of a missing object: %v, want ErrNoUpload", err)
	}
	key := "imports/a b/(1)+é.csv"
	if err := b.Put(ctx, key, []byte("email\na@example.com\n"), "text/csv"); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Size(ctx, key); err != nil || n != 20 {
		t.Errorf("Size %d, %v; want 20", n, err)
	}
	if got := read(t, b, key, 0); got != "email\na@example.com\n" {
		t.Errorf("Open at 0: %q", got)
	}
	if got := read(t, b, key, 6); got != "a@example.com\n" {
		t.Errorf("Open at 6: %q", got)
	}
	if got := read(t, b, key, 20); got != "" {
		t.Errorf("Open at the end: %q, want nothing", got)
	}
}

func TestBucketComposesSmallAndMultipartResults(t *testing.T) {
	ctx := context.Background()
	b := localBucket(t)
	// Small: one PutObject.
	for i, s := range []string{"b\n", "a\n"} {
		if err := b.Put(ctx, fmt.Sprintf("exports/small/%04d", 2-i), []byte(s), "text/csv"); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Compose(ctx, "exports/small.csv", []byte("h\n"), "exports/small/", "text/csv"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, b, "exports/small.csv", 0); got != "h\na\nb\n" {
		t.Errorf("small composition %q, want the head then the objects in key order", got)
	}
	// Large: three 2.5 MiB objects make two parts (5 MiB and the rest).
	var want bytes.Buffer
	want.WriteString("head\n")
	for i := range 3 {
		chunk := bytes.Repeat([]byte{byte('a' + i)}, 5<<19)
		want.Write(chunk)
		if err := b.Put(ctx, fmt.Sprintf("exports/large/%04d", i), chunk, "text/csv"); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Compose(ctx, "exports/large.csv", []byte("head\n"), "exports/large/", "text/csv"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, b, "exports/large.csv", 0); got != want.String() {
		t.Errorf("multipart composition: %d bytes, want %d (or they differ)", len(got), want.Len())
	}
}

// TestPresignedURLsWorkWithPlainHTTP is what the console does: a PUT of
// the file to one URL (with the signed Content-Type), a GET from another.
func TestPresignedURLsWorkWithPlainHTTP(t *testing.T) {
	ctx := context.Background()
	b := localBucket(t)
	put, err := b.PresignPut(ctx, "imports/u1.csv", "text/csv", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(put, "X-Amz-Signature=") || !strings.Contains(put, "/files/imports/u1.csv?") {
		t.Errorf("presigned PUT %s: not a path-style signed URL", put)
	}
	req, err := http.NewRequest(http.MethodPut, put, strings.NewReader("email\nz@example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %s", resp.Status)
	}
	get, err := b.PresignGet(ctx, "imports/u1.csv", "list 1.csv", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(get, "response-content-disposition=attachment") {
		t.Errorf("presigned GET %s has no Content-Disposition", get)
	}
	resp, err = http.Get(get)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(data) != "email\nz@example.com\n" {
		t.Errorf("GET: %s %q", resp.Status, data)
	}
}
