package dynamo

import (
	"encoding/json"
	"time"

	"github.com/leadflow/leadflow/shared/journey"
)

// storedMark is one entry of a run record's path as the record keeps it.
// The record already names its journey and run, so entries leave them out,
// use one-letter keys and keep the time to the millisecond: about 100
// bytes an entry instead of about 180. A run record is rewritten at every
// move and billed by its whole size (1 WRU per KB), so the path is most of
// what a move costs once a run has taken a few steps (bench/journeys: a
// six-entry record went from 2 WRU to 1 per write).
type storedMark struct {
	At      string `json:"t"`
	Version int64  `json:"v,omitempty"`
	Step    string `json:"s,omitempty"`
	Kind    string `json:"k"`
	Note    string `json:"n,omitempty"`
}

// markTime is a path entry's time: UTC, milliseconds.
const markTime = "2006-01-02T15:04:05.000Z07:00"

func encodeMark(m journey.Mark) ([]byte, error) {
	return json.Marshal(storedMark{At: m.At.UTC().Format(markTime), Version: m.Version, Step: m.Step, Kind: m.Kind, Note: m.Note})
}

// decodeMark reads a path entry of a record of journeyID's run: in the
// stored form, or as a whole journey.Mark (records written before the
// stored form); either way the journey and run come from the record.
func decodeMark(raw []byte, journeyID, run string) (journey.Mark, bool) {
	var v struct {
		journey.Mark
		storedMark
	}
	if json.Unmarshal(raw, &v) != nil {
		return journey.Mark{}, false
	}
	m := v.Mark
	if v.storedMark.Kind != "" {
		at, err := time.Parse(markTime, v.storedMark.At)
		if err != nil {
			return journey.Mark{}, false
		}
		m = journey.Mark{At: at, Version: v.storedMark.Version, Step: v.storedMark.Step, Kind: v.storedMark.Kind, Note: v.storedMark.Note}
	}
	if m.Kind == "" {
		return journey.Mark{}, false
	}
	m.Journey, m.Run = journeyID, run
	return m, true
}
