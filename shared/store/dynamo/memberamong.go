package dynamo

import (
	"context"
	"fmt"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"

	"github.com/leadflow/leadflow/shared/membership"
)

// MembersAmong says which of the contacts are members of a segment or list:
// a BatchGetItem of their member items (each in its contact's shard), so a
// campaign's exclusion check costs one read per recipient, not a walk of
// the exclusion's index.
func (st *Store) MembersAmong(ctx context.Context, r membership.Ref, contactIDs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(contactIDs))
	if len(contactIDs) == 0 {
		return out, nil
	}
	keys := make([]map[string]types.AttributeValue, 0, len(contactIDs))
	seen := map[string]bool{}
	for _, id := range contactIDs {
		if seen[id] {
			continue // BatchGetItem refuses duplicate keys
		}
		seen[id] = true
		keys = append(keys, key(memberPK(r, membership.ShardOf(id)), id))
	}
	items, err := st.batchGetItems(ctx, keys, false, attrSK)
	if err != nil {
		return nil, fmt.Errorf("members of %s among %d contacts: %w", r, len(keys), err)
	}
	for _, it := range items {
		out[str(it, attrSK)] = true
	}
	return out, nil
}
