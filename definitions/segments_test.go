package definitions_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/definition/memstore"
	"github.com/leadflow/leadflow/shared/segment"
)

// The repo's segments compile together, and the admin path refuses a
// segment that would close a cycle or names a missing segment.
func TestSegmentsCompileAndRefsAreChecked(t *testing.T) {
	ctx := context.Background()
	reg, err := definitions.Registry(memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	segs, err := definitions.Segments(ctx, reg)
	if err != nil || len(segs) == 0 {
		t.Fatalf("repo segments: %v, %v", segs, err)
	}
	if _, err := segment.NewSet(segs); err != nil {
		t.Fatalf("repo segments do not compile together: %v", err)
	}
	check := definitions.CheckSegmentRefs(reg)
	put := func(id, filter string) error {
		_, err := reg.Put(ctx, definitions.KindSegments, id, []byte(`{"name":"`+id+`","filter":`+filter+`}`), definition.Write{By: "test", Check: check})
		return err
	}
	if err := put("a", `{"segment":"pricing-visitors"}`); err != nil {
		t.Fatalf("save a: %v", err)
	}
	if err := put("b", `{"segment":"a"}`); err != nil {
		t.Fatalf("save b: %v", err)
	}
	if err := put("a", `{"not":{"segment":"b"}}`); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("a cycle was saved: %v", err)
	}
	if err := put("c", `{"segment":"nope"}`); err == nil || !strings.Contains(err.Error(), "unknown segment") {
		t.Errorf("a reference to a missing segment was saved: %v", err)
	}
	if err := put("d", `{"tag":"x","list":"y"}`); err == nil {
		t.Error("an invalid filter was saved")
	}
	set, err := definitions.NewSegmentSet(reg, nil).Set(ctx)
	if err != nil || !set.Has("a") || !set.Has("b") || !set.Has("pricing-visitors") {
		t.Errorf("live set: %v", err)
	}
}
