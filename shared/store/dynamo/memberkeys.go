package dynamo

import (
	"strconv"

	"github.com/leadflow/leadflow/shared/membership"
)

// Keys of the member index (KEYS.md, "Segments and lists"). Nothing else
// spells them.
const (
	prefixMember      = "M#"
	prefixMemberCount = "MC#"
	// memberStateSK is the build-state item in a count partition.
	memberStateSK = "STATE"
	// memberCountsPK holds the processor's shared count items, one per
	// shard, each with a part of every segment's and list's count. A
	// segment's or list's own count partition is MC# + "s#" or "l#" + id,
	// so this key is none of them.
	memberCountsPK = prefixMemberCount + "all"
)

func refCode(r membership.Ref) string {
	if r.Kind == membership.List {
		return "l#" + r.ID
	}
	return "s#" + r.ID
}

// memberPK is one shard of a segment's or list's member index.
func memberPK(r membership.Ref, shard int) string {
	return prefixMember + refCode(r) + "#" + strconv.Itoa(shard)
}

// memberCountPK holds the shard counters and the build state.
func memberCountPK(r membership.Ref) string { return prefixMemberCount + refCode(r) }

// memberCountSK is one shard's counter.
func memberCountSK(shard int) string { return "N#" + strconv.Itoa(shard) }

// memberCountsAttr is a segment's or list's part of the count in a shared
// count item (N), and memberCountsAtAttr when it last moved (N, Unix ms).
func memberCountsAttr(r membership.Ref) string   { return refCode(r) }
func memberCountsAtAttr(r membership.Ref) string { return "t" + refCode(r) }
