package campaign

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkFanoutPage measures the fan-out's own work per page of 500
// recipients (state and checkpoint reads, A/B assignment, send request
// encoding, the checkpoint write) against in-memory ports: the CPU side of
// the enqueue rate. b.N pages; recipients/s is reported.
func BenchmarkFanoutPage(b *testing.B) {
	w := newWorld()
	c := plain()
	c.Audience = Audience{Segments: []string{"big"}}
	for i := range 500 * 64 {
		w.members["segment/big"] = append(w.members["segment/big"], Member{ID: fmt.Sprintf("c%07d", i), Timezone: "Europe/Berlin"})
	}
	w.defs[c.ID] = c
	f := w.fanout()
	f.PageSize = 500
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	pages := 0
	for b.Loop() {
		if pages%64 == 0 {
			b.StopTimer()
			occ := fmt.Sprintf("%08d", pages)
			w.states[c.ID] = State{ID: c.ID, Status: Scheduled, Version: w.states[c.ID].Version}
			w.queue, w.sends = nil, nil
			if err := f.Fire(ctx, c.ID, occ); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		w.mu.Lock()
		body := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		msg, _ := DecodeChunk(body)
		if err := f.Page(ctx, msg); err != nil {
			b.Fatal(err)
		}
		pages++
	}
	b.ReportMetric(float64(pages*500)/b.Elapsed().Seconds(), "recipients/s")
}
