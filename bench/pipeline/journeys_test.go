package main

import (
	"encoding/json"
	"testing"

	"github.com/leadflow/leadflow/shared/journey"
)

// The -journeys flag must put 20 journeys the validator accepts (a bad one
// would fail the bench only after minutes of set-up), each starting at its
// first step and with its own id.
func TestBenchJourneysAreValid(t *testing.T) {
	if len(benchJourneys) != 20 {
		t.Fatalf("%d bench journeys, want 20 (the issue's figure)", len(benchJourneys))
	}
	seen := map[string]bool{}
	for i, bj := range benchJourneys {
		var j journey.Journey
		if err := json.Unmarshal([]byte(journeyBody(i)), &j); err != nil {
			t.Fatalf("%s: %v", bj.id, err)
		}
		if err := j.Validate(); err != nil {
			t.Errorf("%s: %v", bj.id, err)
		}
		if j.ID != bj.id || seen[j.ID] || j.Start != j.Steps[0].ID {
			t.Errorf("%s: id %q (seen %v), start %q, first step %q", bj.id, j.ID, seen[j.ID], j.Start, j.Steps[0].ID)
		}
		seen[j.ID] = true
	}
}
