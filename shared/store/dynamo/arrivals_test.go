package dynamo

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/membership"
)

// A full arrivals item (membership.ArrivalsPerItem generated ids, the
// longest keys) is one write unit: attribute names and values under 1 KB.
func TestAFullArrivalsItemIsOneWriteUnit(t *testing.T) {
	var ids []string
	for range membership.ArrivalsPerItem {
		ids = append(ids, contact.NewID())
	}
	pk, sk := arrivalsPK(membership.Shards-1), arrivalsSK(time.Date(2026, 12, 7, 10, 0, 0, 123, time.UTC))
	size := len(attrPK) + len(pk) + len(attrSK) + len(sk) + len(attrArrivalIDs) + len(membership.PackIDs(ids))
	if size > 1024 {
		t.Errorf("a full item is %d bytes: two write units", size)
	}
	if size < 900 {
		t.Errorf("a full item is %d bytes: ArrivalsPerItem could be larger", size)
	}
}
