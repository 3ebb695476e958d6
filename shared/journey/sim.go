package journey

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
)

// Timeline is what happens to a contact, for the simulator: a synthetic
// script or a real contact's recorded events.
type Timeline struct {
	// Start is when the timeline begins (entries may be relative to it).
	Start time.Time `json:"start"`
	// Contact is who it happens to, as they are at Start.
	Contact Contact `json:"contact"`
	// Entries happen in order.
	Entries []Happening `json:"events"`
	// For is how long to keep the clock running after the last entry, so
	// waits come due (default 90 days).
	For Duration `json:"for,omitzero"`
}

// Happening is one entry of a timeline: an event, or a change of the
// contact (traits, score, stage, tags, segments, subscription).
type Happening struct {
	// At, or After (an offset from the timeline's start).
	At    time.Time `json:"at,omitzero"`
	After Duration  `json:"after,omitzero"`

	Event      string         `json:"event,omitempty"`
	Properties map[string]any `json:"properties,omitempty"`
	Form       string         `json:"form,omitempty"`
	// Opened / Clicked: the contact opened or clicked the mail a step of
	// the simulated journey sent (in the contact's current run).
	Opened  string `json:"opened,omitempty"`
	Clicked string `json:"clicked,omitempty"`

	Traits   map[string]any  `json:"traits,omitempty"`
	Score    *int            `json:"score,omitempty"`
	Stage    string          `json:"stage,omitempty"`
	AddTags  []string        `json:"add_tags,omitempty"`
	Segments map[string]bool `json:"segments,omitempty"`
	Status   string          `json:"status,omitempty"`
}

// SimResult is what a simulation did: the path with each step's time and
// every branch's reason, and the effects the runtime would have carried
// out (nothing is sent).
type SimResult struct {
	Path    []Mark   `json:"path"`
	Effects []Effect `json:"-"`
	Sends   []string `json:"sends"`
	State   State    `json:"state"`
	Contact Contact  `json:"contact"`
	Counts  []Count  `json:"-"`
}

// Simulate runs the engine over a timeline on a virtual clock: timeline
// entries and the timers the engine sets are delivered in time order,
// exactly as the processor would see them.
func Simulate(e *Engine, tl Timeline) (SimResult, error) {
	if tl.Start.IsZero() {
		return SimResult{}, fmt.Errorf("timeline: start is required")
	}
	if tl.Contact.ID == "" {
		tl.Contact.ID = "simulated"
	}
	type entry struct {
		at time.Time
		h  Happening
		i  int
	}
	var entries []entry
	for i, h := range tl.Entries {
		at := h.At
		if at.IsZero() {
			at = tl.Start.Add(time.Duration(h.After))
		}
		entries = append(entries, entry{at, h, i})
	}
	sort.SliceStable(entries, func(a, b int) bool { return entries[a].at.Before(entries[b].at) })
	end := tl.Start
	if n := len(entries); n > 0 {
		end = entries[n-1].at
	}
	tail := time.Duration(tl.For)
	if tail <= 0 {
		tail = 90 * 24 * time.Hour
	}
	end = end.Add(tail)

	contact := tl.Contact
	contact.Traits = maps.Clone(contact.Traits)
	contact.Segments = maps.Clone(contact.Segments)
	contact.Tags = slices.Clone(contact.Tags)
	st := &State{}
	timers := map[string]Effect{}
	var res SimResult
	apply := func(r Result) {
		res.Path = append(res.Path, r.Marks...)
		res.Effects = append(res.Effects, r.Effects...)
		res.Counts = append(res.Counts, r.Counts...)
		for _, ef := range r.Effects {
			switch ef.Kind {
			case EffectTimer:
				timers[ef.ID] = ef
			case EffectSend:
				res.Sends = append(res.Sends, ef.Step+":"+ef.Email.Template)
			}
		}
	}
	next := 0
	for steps := 0; steps < 100000; steps++ {
		// The earliest pending timer.
		var due *Effect
		for _, t := range timers {
			if due == nil || t.Due.Before(due.Due) || (t.Due.Equal(due.Due) && t.ID < due.ID) {
				t := t
				due = &t
			}
		}
		if due != nil && due.Due.After(end) {
			due = nil
		}
		switch {
		case due != nil && (next >= len(entries) || !entries[next].at.Before(due.Due)):
			delete(timers, due.ID)
			before := cloneContact(contact)
			apply(e.Handle(st, Input{Before: &before, After: &contact, Key: due.ID, Now: due.Due,
				Events: []Event{{ID: "timer:" + due.ID, Name: due.Event, Properties: jsonish(due.Properties), At: due.Due}}}))
		case next < len(entries):
			en := entries[next]
			next++
			before := cloneContact(contact)
			var evs []Event
			h := en.h
			if h.Traits != nil && contact.Traits == nil {
				contact.Traits = map[string]any{}
			}
			maps.Copy(contact.Traits, h.Traits)
			if h.Score != nil {
				contact.Score = *h.Score
			}
			if h.Stage != "" {
				contact.Stage = h.Stage
			}
			if h.Status != "" {
				contact.Status = h.Status
			}
			for _, t := range h.AddTags {
				if !slices.Contains(contact.Tags, t) {
					contact.Tags = append(contact.Tags, t)
				}
			}
			if h.Segments != nil && contact.Segments == nil {
				contact.Segments = map[string]bool{}
			}
			maps.Copy(contact.Segments, h.Segments)
			id := fmt.Sprintf("t%d", en.i)
			if h.Event != "" || h.Form != "" {
				name := h.Event
				if name == "" {
					name = "Form Submitted"
				}
				evs = append(evs, Event{ID: id, Name: name, Properties: h.Properties, FormID: h.Form, At: en.at})
			}
			for _, eng := range []struct{ step, name string }{{h.Opened, openedEvent}, {h.Clicked, clickedEvent}} {
				if eng.step == "" {
					continue
				}
				for _, r := range st.Runs {
					evs = append(evs, Event{ID: id + eng.name, Name: eng.name, Properties: map[string]any{"send_id": mail.JourneySendID(r.ID, eng.step)}, At: en.at})
				}
			}
			apply(e.Handle(st, Input{Before: &before, After: &contact, Events: evs, Key: id, Now: en.at}))
		default:
			res.State, res.Contact = *st, contact
			return res, nil
		}
	}
	return res, fmt.Errorf("simulation did not settle")
}

// jsonish gives timer properties the types they have after the JSON trip
// through the queue (numbers as float64), so the simulator sees what the
// processor sees.
func jsonish(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case int64:
			out[k] = float64(x)
		case int:
			out[k] = float64(x)
		default:
			out[k] = v
		}
	}
	return out
}

func cloneContact(c Contact) Contact {
	c.Traits = maps.Clone(c.Traits)
	c.Segments = maps.Clone(c.Segments)
	c.Tags = slices.Clone(c.Tags)
	c.Lists = slices.Clone(c.Lists)
	return c
}

// FormatPath writes a path as lines: time, journey and version, step, what
// happened and why.
func FormatPath(path []Mark) string {
	var b strings.Builder
	for _, m := range path {
		step := m.Step
		if step == "" {
			step = "-"
		}
		fmt.Fprintf(&b, "%s  %s v%d  %-16s %-7s %s\n", m.At.UTC().Format("2006-01-02 15:04:05 Mon"), m.Journey, m.Version, step, m.Kind, m.Note)
	}
	return b.String()
}

// Fixed is a Library of fixed versions (the simulator's, tests'); the last
// version given for an id is the current one.
type Fixed struct {
	versions map[string][]*Compiled
}

// NewFixed compiles journeys into a Library. Versions count from 1 per id
// in the order given.
func NewFixed(js ...Journey) (*Fixed, error) {
	f := &Fixed{versions: map[string][]*Compiled{}}
	for _, j := range js {
		if err := f.Publish(j); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Publish adds a new current version of a journey.
func (f *Fixed) Publish(j Journey) error {
	c, err := Compile(j, int64(len(f.versions[j.ID])+1))
	if err != nil {
		return fmt.Errorf("journey %s: %w", j.ID, err)
	}
	f.versions[j.ID] = append(f.versions[j.ID], c)
	return nil
}

// Current implements Library.
func (f *Fixed) Current() []*Compiled {
	var out []*Compiled
	for _, vs := range f.versions {
		out = append(out, vs[len(vs)-1])
	}
	return out
}

// At implements Library.
func (f *Fixed) At(id string, v int64) (*Compiled, error) {
	vs := f.versions[id]
	if v < 1 || int(v) > len(vs) {
		return nil, fmt.Errorf("journey %s version %d: not found", id, v)
	}
	return vs[v-1], nil
}
