package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/journey"
)

// simulate runs a journey (an id in DIR/journeys, or a file) over a
// timeline file with the engine the processor runs, on a virtual clock.
// A draft journey is simulated as if it were live.
func simulate(dir, journeyArg, timelineFile string, out io.Writer) error {
	path := journeyArg
	if !strings.HasSuffix(path, ".json") {
		path = filepath.Join(dir, "journeys", journeyArg+".json")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("journey: %w", err)
	}
	var j journey.Journey
	if err := definition.Decode(raw, &j); err != nil {
		return fmt.Errorf("journey %s: %w", path, err)
	}
	j.Status = journey.StatusLive
	lib, err := journey.NewFixed(j)
	if err != nil {
		return err
	}
	traw, err := os.ReadFile(timelineFile)
	if err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	var tl journey.Timeline
	if err := json.Unmarshal(traw, &tl); err != nil {
		return fmt.Errorf("timeline %s: %w", timelineFile, err)
	}
	res, err := journey.Simulate(&journey.Engine{Lib: lib}, tl)
	if err != nil {
		return err
	}
	fmt.Fprint(out, journey.FormatPath(res.Path))
	fmt.Fprintf(out, "\nwould send %d mail(s): %s\n", len(res.Sends), strings.Join(res.Sends, ", "))
	return nil
}
