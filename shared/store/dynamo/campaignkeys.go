package dynamo

import (
	"fmt"
	"math/rand/v2"
)

// Keys of broadcast campaigns (shared/campaign). The definition itself is
// a registry definition (DEF#campaigns#<id>); these are its lifecycle
// state, its fan-out checkpoints and its result counters. See KEYS.md.
const (
	skCampaignState = "STATE"
	prefixRun       = "RUN#"
	prefixCampaign  = "CAMP#"
	prefixCStat     = "CSTAT#"
	// A recipient-time occurrence's waves: a checkpoint per phase and zone,
	// and the chunks of each zone (one per fan-out page).
	prefixWave      = "WAVE#"
	prefixWaveChunk = "WCHUNK#"

	// campaignStatShards spreads a campaign's counter updates (sends, SES
	// events, opens, clicks) over partitions: at a 500/s send rate and a few
	// events per send, one partition would sit near its 1,000 writes/s.
	campaignStatShards = 8
)

func campaignPK(id string) string { return prefixCampaign + id }

func runSK(occurrence string) string { return prefixRun + occurrence }

func campaignStatPK(id string, shard int) string {
	return fmt.Sprintf("%s%s#%d", prefixCStat, id, shard)
}

func randomStatShard() int { return rand.IntN(campaignStatShards) }

// campaignStatSK is an occurrence's counters of one variant ("-" without).
func campaignStatSK(occurrence, variant string) string {
	if variant == "" {
		variant = "-"
	}
	return occurrence + "#" + variant
}

// waveSK is a zone's wave checkpoint; wavePhaseSK the prefix of a phase's.
func waveSK(occurrence, phase, zone string) string { return wavePhaseSK(occurrence, phase) + zone }

func wavePhaseSK(occurrence, phase string) string {
	return prefixWave + occurrence + "#" + phase + "#"
}

// waveChunkSK is a chunk of a zone's wave: the page number, fixed width so
// the sort key is page order.
func waveChunkSK(occurrence, phase, zone string, seq int) string {
	return fmt.Sprintf("%s%08d", waveChunksSK(occurrence, phase, zone), seq)
}

func waveChunksSK(occurrence, phase, zone string) string {
	return prefixWaveChunk + occurrence + "#" + phase + "#" + zone + "#"
}
