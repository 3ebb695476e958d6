package dynamo

import (
	"strconv"
	"strings"
	"time"
)

// Keys of the sending pipeline (KEYS.md, "Sending"). They live beside
// keys.go so the sending adapters add no edits there; nothing else spells
// these keys.
const (
	skSend        = "SEND"
	skIdemKey     = "IK"
	skSuppression = "SUP"
	skRate        = "RATE"
	skCap         = "CAP"
	skTemplate    = "TPL"
	skMailStats   = "MSTAT"
	gsiTemplates  = "TEMPLATES"

	// sendTTL keeps a send record, the guard that makes a send id go out
	// once, far longer than anything can redeliver its request (the sends
	// queue keeps 14 days, its DLQ 14 more, and campaigns are not re-run a
	// year later).
	sendTTL = 400 * 24 * time.Hour
	// rateTTL: a second's counter is useless a second later; TTL deletes
	// are free and lazy, so it only has to be short.
	rateTTL = time.Hour
	// mailStatsTTL keeps the hourly counters a little beyond the longest
	// circuit-breaker window (a week).
	mailStatsTTL = 8 * 24 * time.Hour
)

func sendPK(id string) string { return "SEND#" + id }

// gsiMessagesPrefix starts a contact's partition of gsi1 holding their send
// records (the contact page's messages), newest claim last in sort order.
const gsiMessagesPrefix = "MSGS#"

func messagesGSIPK(contactID string) string { return gsiMessagesPrefix + contactID }

// messagesGSISK orders a contact's sends by claim time; the send id breaks
// ties and makes the key unique. It is also the listing's cursor.
func messagesGSISK(claimed time.Time, sendID string) string {
	return claimed.UTC().Format(timeLayout) + "#" + sendID
}

// idemKeyPK is the send API's claim of an idempotency key (by its send id).
func idemKeyPK(sendID string) string { return "IK#" + sendID }

// suppressionPK is one address; addresses are compared lower-cased and
// trimmed, as SES's own suppression list does.
func suppressionPK(email string) string {
	return "SUP#" + strings.ToLower(strings.TrimSpace(email))
}

func ratePK(sec int64) string { return "RATE#" + strconv.FormatInt(sec, 10) }

func capPK(contactID string) string { return "CAP#" + contactID }

func templatePK(id string) string { return "TPL#" + id }

// mailStatsPK is one hour of sends, bounces and complaints.
func mailStatsPK(hour time.Time) string {
	return "MSTAT#" + hour.UTC().Truncate(time.Hour).Format("2006-01-02T15")
}
