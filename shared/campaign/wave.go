package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Recipient-time sends go out in waves: one per zone, at the campaign's
// local time there. The fan-out pages through the audience as for any
// campaign, but instead of queuing sends it stores each page's recipients
// of a zone as a wave chunk; when the paging of a phase is done, one timer
// per zone (the timer wheel, WaveRoute) fires at that zone's local time and
// starts a chain of wave messages that queue the zone's chunks as sends, a
// checkpoint (WaveProgress) after each step. Nothing waits in a queue for
// hours, and nothing is held in memory: a crash repeats at most one step,
// whose send ids the pipeline has seen.

// WaveRoute is the timer wheel's route of wave timers: the timers function
// sends them to the campaigns queue (WaveMessage).
const WaveRoute = "campaigns"

// waveEvent names a wave timer's fired message (never a contact's event).
const waveEvent = "campaign-wave"

// WaveRecipient is a recipient of a wave chunk, with the variant chosen
// when the page was read ("" without an A/B test).
type WaveRecipient struct {
	Contact string `json:"c"`
	Variant string `json:"v,omitempty"`
}

// WaveChunk is one fan-out page's recipients in one zone.
type WaveChunk struct {
	Campaign   string          `json:"campaign"`
	Occurrence string          `json:"occurrence"`
	Phase      string          `json:"phase"`
	Zone       string          `json:"zone"`
	Seq        int             `json:"seq"` // the page's sequence number
	At         time.Time       `json:"at"`  // the zone's wave time
	Recipients []WaveRecipient `json:"recipients"`
}

// WaveProgress is a zone's wave checkpoint: Seq is the next message's
// number, Cursor the last chunk queued (-1 before the first).
type WaveProgress struct {
	Campaign   string `json:"campaign"`
	Occurrence string `json:"occurrence"`
	Phase      string `json:"phase"`
	Zone       string `json:"zone"`
	Seq        int    `json:"seq"`
	Cursor     int    `json:"cursor"`
	Done       bool   `json:"done,omitempty"`
	Queued     int64  `json:"queued"`
	Version    int64  `json:"-"`
}

// WaveStore keeps wave chunks and checkpoints.
type WaveStore interface {
	// PutWaveChunk stores a chunk; the same chunk again overwrites it.
	PutWaveChunk(ctx context.Context, c WaveChunk) error
	// WaveChunks returns up to limit chunks of a zone's wave with a Seq
	// after after, in Seq order.
	WaveChunks(ctx context.Context, campaign, occurrence, phase, zone string, after, limit int) ([]WaveChunk, error)
	// WaveProgress reads a zone's checkpoint (ErrNotFound before its
	// first step); SaveWaveProgress is a compare-and-set on prev (0:
	// create), ErrStateConflict when it moved.
	WaveProgress(ctx context.Context, campaign, occurrence, phase, zone string) (WaveProgress, error)
	SaveWaveProgress(ctx context.Context, p WaveProgress, prev int64) error
	// WaveProgresses lists a phase's checkpoints, strongly consistent:
	// the last zone to finish must see the others done.
	WaveProgresses(ctx context.Context, campaign, occurrence, phase string) ([]WaveProgress, error)
}

// WaveTimers arms a zone's wave: at is its local send time.
type WaveTimers interface {
	ArmWave(ctx context.Context, campaign, occurrence, phase, zone string, at time.Time) error
}

// WheelWaves arms waves on the timer wheel (routed to WaveRoute).
type WheelWaves struct{ Wheel *timer.Wheel }

// ArmWave implements WaveTimers. The timer id names the wave, so arming
// again (a retried end of paging) rewrites the same timer; one due
// already (a zone whose time passed while the audience was read) is due
// now, which makes a second timer in a later bucket: its message is a
// duplicate the checkpoint drops.
func (w WheelWaves) ArmWave(ctx context.Context, campaign, occurrence, phase, zone string, at time.Time) error {
	return w.Wheel.Schedule(ctx, timer.Timer{
		ID:    "cwave:" + campaign + ":" + occurrence + ":" + phase + ":" + zone,
		Route: WaveRoute, Event: waveEvent, Due: at,
		Properties: map[string]any{"campaign": campaign, "occurrence": occurrence, "phase": phase, "zone": zone},
	})
}

// WaveMessage turns a fired wave timer into the wave's first message.
func WaveMessage(m tracking.Message) (Chunk, error) {
	str := func(k string) string { v, _ := m.Properties[k].(string); return v }
	c := Chunk{Kind: ChunkWave, Campaign: str("campaign"), Occurrence: str("occurrence"), Phase: str("phase"), Zone: str("zone")}
	if m.Event != waveEvent || c.Campaign == "" || c.Occurrence == "" || c.Phase == "" || c.Zone == "" {
		return c, fmt.Errorf("timer %s is not a campaign wave", m.MessageID)
	}
	return c, nil
}

// waveChunkReads bounds the chunks one wave step reads: a step queues
// about a page of sends, and chunks of zones with few recipients are
// small.
const waveChunkReads = 25

// byWave reports whether a campaign's sends go out in waves.
func (f *Fanout) byWave(c Campaign) bool { return c.Schedule.Type == RecipientTime }

// storeWaves keeps a page's recipients by zone as chunks of the page.
func (f *Fanout) storeWaves(ctx context.Context, c Campaign, run Run, byZone map[string][]WaveRecipient) error {
	zones := make([]string, 0, len(byZone))
	for z := range byZone {
		zones = append(zones, z)
	}
	slices.Sort(zones)
	for _, z := range zones {
		_, loc := c.Schedule.RecipientZone(z)
		at, err := c.Schedule.WaveTime(loc)
		if err != nil {
			return fmt.Errorf("campaign %s: wave of %s: %w", c.ID, z, err)
		}
		ch := WaveChunk{Campaign: c.ID, Occurrence: run.Occurrence, Phase: run.Phase, Zone: z, Seq: run.Seq, At: at, Recipients: byZone[z]}
		if err := f.Waves.PutWaveChunk(ctx, ch); err != nil {
			return fmt.Errorf("campaign %s/%s: store the %s chunk of page %d: %w", c.ID, run.Occurrence, z, run.Seq, err)
		}
	}
	return nil
}

// armWaves gives each zone of the run a wave timer for the phase just
// paged. Safe to repeat.
func (f *Fanout) armWaves(ctx context.Context, c Campaign, run Run) error {
	for _, z := range sortedZones(run.Zones) {
		_, loc := c.Schedule.RecipientZone(z)
		at, err := c.Schedule.WaveTime(loc)
		if err != nil {
			return fmt.Errorf("campaign %s: wave of %s: %w", c.ID, z, err)
		}
		if err := f.WaveTimers.ArmWave(ctx, c.ID, run.Occurrence, run.Phase, z, at); err != nil {
			return fmt.Errorf("campaign %s/%s: arm the %s wave: %w", c.ID, run.Occurrence, z, err)
		}
	}
	return nil
}

func sortedZones(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for z := range m {
		out = append(out, z)
	}
	slices.Sort(out)
	return out
}

func (f *Fanout) enqueueWave(ctx context.Context, campaign, occurrence, phase, zone string, seq int) error {
	c := Chunk{Kind: ChunkWave, Campaign: campaign, Occurrence: occurrence, Phase: phase, Zone: zone, Seq: seq}
	if err := f.Queue.Enqueue(ctx, c.Encode()); err != nil {
		return fmt.Errorf("queue campaign %s/%s wave %s step %d: %w", campaign, occurrence, zone, seq, err)
	}
	return nil
}

// Wave runs one step of a zone's wave: it queues the sends of the next
// chunks after the checkpoint, queues the next step and moves the
// checkpoint on. A paused campaign's wave stops here (resume starts it
// again from its checkpoint); a cancelled one's is dropped.
func (f *Fanout) Wave(ctx context.Context, msg Chunk) error {
	st, err := f.Store.CampaignState(ctx, msg.Campaign)
	if err != nil {
		return fmt.Errorf("campaign %s wave: %w", msg.Campaign, err)
	}
	if st.Status != Sending {
		f.Log.InfoContext(ctx, "campaign wave stopped", "campaign_id", msg.Campaign, "occurrence", msg.Occurrence, "zone", msg.Zone, "seq", msg.Seq, "state", st.Status)
		return nil
	}
	if f.Waves == nil || f.WaveTimers == nil {
		return fmt.Errorf("campaign %s wave: no wave store", msg.Campaign)
	}
	prog, err := f.Waves.WaveProgress(ctx, msg.Campaign, msg.Occurrence, msg.Phase, msg.Zone)
	if errors.Is(err, ErrNotFound) {
		prog, err = WaveProgress{Campaign: msg.Campaign, Occurrence: msg.Occurrence, Phase: msg.Phase, Zone: msg.Zone, Cursor: -1}, nil
	}
	if err != nil {
		return fmt.Errorf("campaign %s/%s wave %s: %w", msg.Campaign, msg.Occurrence, msg.Zone, err)
	}
	c, err := f.Definitions.Campaign(ctx, msg.Campaign)
	if err != nil {
		return fmt.Errorf("campaign %s wave: definition: %w", msg.Campaign, err)
	}
	switch {
	case prog.Done && msg.Seq == prog.Seq-1:
		// The last step again: it may have died before what follows.
		return f.afterWaves(ctx, c, st, msg.Occurrence, msg.Phase)
	case prog.Done || msg.Seq < prog.Seq:
		return nil // a duplicate (a second timer, a redelivery)
	case msg.Seq > prog.Seq:
		return fmt.Errorf("campaign %s/%s wave %s step %d (checkpoint at %d): %w", msg.Campaign, msg.Occurrence, msg.Zone, msg.Seq, prog.Seq, ErrEarly)
	}
	run, err := f.Store.Run(ctx, msg.Campaign, msg.Occurrence)
	if err != nil {
		return fmt.Errorf("campaign %s/%s wave: %w", msg.Campaign, msg.Occurrence, err)
	}
	chunks, err := f.Waves.WaveChunks(ctx, msg.Campaign, msg.Occurrence, msg.Phase, msg.Zone, prog.Cursor, waveChunkReads)
	if err != nil {
		return fmt.Errorf("campaign %s/%s wave %s: chunks: %w", msg.Campaign, msg.Occurrence, msg.Zone, err)
	}
	take, n := 0, 0
	for take < len(chunks) && (take == 0 || n+len(chunks[take].Recipients) <= f.pageSize()) {
		n += len(chunks[take].Recipients)
		take++
	}
	more := take < len(chunks) || len(chunks) == waveChunkReads
	now := f.now().UTC()
	bodies := make([]string, 0, n)
	for _, ch := range chunks[:take] {
		for _, r := range ch.Recipients {
			req := mail.Request{
				SendID:      SendID(c.ID, msg.Occurrence, r.Contact),
				ContactID:   r.Contact,
				TemplateID:  run.Templates[r.Variant],
				Source:      mail.Source{Campaign: c.ID, Run: msg.Occurrence, Step: r.Variant},
				RequestedAt: now,
				// The marketer chose this local hour knowing quiet hours.
				IgnoreQuietHours: c.IgnoreQuietHours,
			}
			body, err := req.Encode()
			if err != nil {
				return err
			}
			bodies = append(bodies, body)
		}
	}
	if len(bodies) > 0 {
		if err := f.Sends.EnqueueBatch(ctx, bodies); err != nil {
			return fmt.Errorf("campaign %s/%s wave %s: queue %d sends: %w", c.ID, msg.Occurrence, msg.Zone, len(bodies), err)
		}
	}
	next := prog
	next.Seq++
	next.Queued += int64(len(bodies))
	if take > 0 {
		next.Cursor = chunks[take-1].Seq
	}
	next.Done = !more
	if more {
		// As with pages: the next step's message before the checkpoint.
		if err := f.enqueueWave(ctx, msg.Campaign, msg.Occurrence, msg.Phase, msg.Zone, next.Seq); err != nil {
			return err
		}
	}
	err = f.Waves.SaveWaveProgress(ctx, next, prog.Version)
	if errors.Is(err, ErrStateConflict) {
		return nil // a duplicate of this step got there first
	}
	if err != nil {
		return fmt.Errorf("campaign %s/%s wave %s checkpoint %d: %w", msg.Campaign, msg.Occurrence, msg.Zone, next.Seq, err)
	}
	if next.Done {
		f.Log.InfoContext(ctx, "campaign wave queued", "campaign_id", c.ID, "occurrence", msg.Occurrence, "phase", msg.Phase, "zone", msg.Zone, "sends", next.Queued)
		return f.afterWaves(ctx, c, st, msg.Occurrence, msg.Phase)
	}
	return nil
}

// afterWaves ends the occurrence when the last wave of its last phase is
// queued. Every wave that finishes asks; reads are strongly consistent,
// so the last of two finishing together sees both done.
func (f *Fanout) afterWaves(ctx context.Context, c Campaign, st State, occurrence, phase string) error {
	run, err := f.Store.Run(ctx, c.ID, occurrence)
	if err != nil {
		return fmt.Errorf("campaign %s/%s: %w", c.ID, occurrence, err)
	}
	if run.Phase != phase || !run.Done {
		return nil // more paging comes next
	}
	all, err := f.Waves.WaveProgresses(ctx, c.ID, occurrence, phase)
	if err != nil {
		return fmt.Errorf("campaign %s/%s waves: %w", c.ID, occurrence, err)
	}
	done := map[string]bool{}
	for _, p := range all {
		done[p.Zone] = p.Done
	}
	for z := range run.Zones {
		if !done[z] {
			return nil
		}
	}
	if run.Phase == PhaseTest && !run.DecideAt.IsZero() {
		// Every zone's test wave is queued: the decision comes wait after
		// the last wave's time (DecisionTime), or wait after now when the
		// waves were held (a pause) or slow to queue. A repeated last
		// step or a resume asks again: the timer has one name, so that
		// moves it, never before the planned time.
		at := run.DecideAt
		if floor := f.now().Add(f.abWait(c)).UTC(); floor.After(at) {
			at = floor
		}
		return f.armDecision(ctx, c, run, at)
	}
	return f.finish(ctx, c, st, occurrence)
}

// resumeWaves starts again the waves a pause stopped or dropped: a zone
// whose time came starts from its checkpoint; a later zone's timer is
// armed again (the same timer: a pause may have come between the end of
// the paging and the arming). It reports whether every wave of the phase
// is queued.
func (f *Fanout) resumeWaves(ctx context.Context, c Campaign, run Run, phase string) (bool, error) {
	all, err := f.Waves.WaveProgresses(ctx, c.ID, run.Occurrence, phase)
	if err != nil {
		return false, fmt.Errorf("resume campaign %s/%s waves: %w", c.ID, run.Occurrence, err)
	}
	prog := map[string]WaveProgress{}
	for _, p := range all {
		prog[p.Zone] = p
	}
	now := f.now()
	allDone := true
	for _, z := range sortedZones(run.Zones) {
		p, ok := prog[z]
		if ok && p.Done {
			continue
		}
		allDone = false
		if !ok {
			_, loc := c.Schedule.RecipientZone(z)
			at, err := c.Schedule.WaveTime(loc)
			if err != nil {
				return false, err
			}
			if at.After(now) {
				if err := f.WaveTimers.ArmWave(ctx, c.ID, run.Occurrence, phase, z, at); err != nil {
					return false, fmt.Errorf("resume campaign %s/%s: arm the %s wave: %w", c.ID, run.Occurrence, z, err)
				}
				continue
			}
		}
		if err := f.enqueueWave(ctx, c.ID, run.Occurrence, phase, z, p.Seq); err != nil {
			return false, err
		}
	}
	return allDone, nil
}
