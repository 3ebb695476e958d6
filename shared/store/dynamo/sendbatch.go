package dynamo

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/mail"
)

// ReadSendBatch reads a sender batch's state in two concurrent
// BatchGetItem requests instead of a GetItem each: the send records and
// the profiles eventually consistent (as GetSend and GetProfile read them),
// the frequency-cap records strongly consistent (as MarketingSends reads
// them). The request units are those of the single reads; only the number
// of requests (and the sender's time waiting on them) drops. Missing items
// are absent from the maps; a cap record that does not exist comes back as
// the zero record.
func (st *Store) ReadSendBatch(ctx context.Context, sendIDs, contactIDs, capContactIDs []string) (map[string]mail.SendState, map[string]*contact.Profile, map[string]mail.CapRecord, error) {
	sends := map[string]mail.SendState{}
	profiles := map[string]*contact.Profile{}
	caps := map[string]mail.CapRecord{}
	keys := make([]map[string]types.AttributeValue, 0, len(sendIDs)+len(contactIDs))
	for _, id := range sendIDs {
		keys = append(keys, key(sendPK(id), skSend))
	}
	for _, id := range contactIDs {
		keys = append(keys, key(contactPK(id), skProfile))
	}
	capKeys := make([]map[string]types.AttributeValue, 0, len(capContactIDs))
	for _, id := range capContactIDs {
		capKeys = append(capKeys, key(capPK(id), skCap))
	}
	var (
		wg             sync.WaitGroup
		items, capIts  []map[string]types.AttributeValue
		itErr, capsErr error
	)
	if len(keys) > 0 {
		wg.Go(func() { items, itErr = st.batchGet(ctx, keys, false) })
	}
	if len(capKeys) > 0 {
		wg.Go(func() { capIts, capsErr = st.batchGet(ctx, capKeys, true) })
	}
	wg.Wait()
	if itErr != nil {
		return nil, nil, nil, fmt.Errorf("read the batch's sends and contacts: %w", itErr)
	}
	if capsErr != nil {
		return nil, nil, nil, fmt.Errorf("read the batch's frequency caps: %w", capsErr)
	}
	for _, it := range items {
		switch str(it, attrSK) {
		case skSend:
			rec, err := decodeSend(it)
			if err != nil {
				return nil, nil, nil, err
			}
			sends[rec.SendID] = rec
		case skProfile:
			p, err := decodeProfile(it)
			if err != nil {
				return nil, nil, nil, err
			}
			profiles[p.ID] = p
		}
	}
	for _, id := range capContactIDs {
		caps[id] = mail.CapRecord{}
	}
	for _, it := range capIts {
		id := strings.TrimPrefix(str(it, attrPK), capPK(""))
		caps[id] = decodeCaps(it)
	}
	return sends, profiles, caps, nil
}

// SuppressedOf returns, of emails, the suppressed ones: one BatchGetItem
// per 100 addresses, eventually consistent like IsSuppressed.
func (st *Store) SuppressedOf(ctx context.Context, emails []string) (map[string]bool, error) {
	entries, err := st.SuppressedAmong(ctx, emails)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(entries))
	for e := range entries {
		out[e] = true
	}
	return out, nil
}
