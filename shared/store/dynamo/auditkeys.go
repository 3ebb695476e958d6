package dynamo

import "time"

// Keys of the audit log (KEYS.md, "Audit log"). Each entry is written under
// three partitions, so each listing is one Query in time order: all
// entries, one actor's, one kind's.
const (
	auditAll       = "AUDIT"
	prefixAuditBy  = "AUDIT#A#"
	prefixAuditOf  = "AUDIT#K#"
	auditTimeStamp = "2006-01-02T15:04:05.000000000Z" // fixed width: sorts in time order
)

func auditAllPK() string               { return auditAll }
func auditActorPK(actor string) string { return prefixAuditBy + actor }
func auditKindPK(kind string) string   { return prefixAuditOf + kind }

// auditSK orders entries by time; the id makes it unique.
func auditSK(at time.Time, id string) string { return at.UTC().Format(auditTimeStamp) + "#" + id }
