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
