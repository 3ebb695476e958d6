package dynamo

import (
	"crypto/sha256"
	"encoding/hex"
)

// Keys of CSV imports (KEYS.md, "Imports and exports").
const (
	prefixImport = "IMP#"
	skImport     = "IMP"
	skClaim      = "E"
	gsiImports   = "IMPORTS"
	prefixExport = "EXP#"
	skExport     = "EXP"
	gsiExports   = "EXPORTS"
	// An email identity link written by an import names it and the
	// line, so the link is also the import's claim of the email.
	attrLinkImport = "im"
	attrLinkLine   = "il"
)

func importPK(id string) string { return prefixImport + id }

// importClaimPK is an email seen by an import: the email only as a hash
// (the item outlives nothing it needs the address for).
func importClaimPK(importID, email string) string {
	sum := sha256.Sum256([]byte(email))
	return prefixImport + importID + "#E#" + hex.EncodeToString(sum[:16])
}

func exportPK(id string) string { return prefixExport + id }
