// Package dynamo is the DynamoDB adapter for Leadflow's stores. The key
// design and access patterns are in KEYS.md beside this file.
package dynamo

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
)

const (
	attrPK     = "pk"
	attrSK     = "sk"
	attrGSI1PK = "gsi1pk"
	attrGSI1SK = "gsi1sk"
	attrTTL    = "ttl"
	gsi1       = "gsi1"

	skProfile  = "P"
	skIdentity = "I"
	skSite     = "S"
	prefixEvt  = "E#"

	contactShards = 16
	gsiSites      = "SITES"
)

func contactPK(id string) string { return "C#" + id }

func identityPK(id contact.Identity) string {
	return "I#" + string(id.Kind) + "#" + id.Value
}

func sitePK(key string) string { return "S#" + key }

// eventSK sorts chunks by their newest event; the hash makes it unique.
func eventSK(newest time.Time, hash uint64) string {
	return fmt.Sprintf("%s%s#%016x", prefixEvt, newest.UTC().Format("2006-01-02T15:04:05.000Z"), hash)
}

// eventSKFrom is the least sort key of a chunk whose newest event is at or
// after t, and eventSKEnd one above every chunk key: a range of chunks by
// newest event is BETWEEN the two.
func eventSKFrom(t time.Time) string {
	return prefixEvt + t.UTC().Format("2006-01-02T15:04:05.000Z")
}

const eventSKEnd = prefixEvt + "~"

func contactShard(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return fmt.Sprintf("CONTACTS#%d", h.Sum32()%contactShards)
}

func contactGSISK(created time.Time, id string) string {
	return created.UTC().Format(time.RFC3339) + "#" + id
}

func contactIDFromPK(pk string) string { return strings.TrimPrefix(pk, "C#") }
