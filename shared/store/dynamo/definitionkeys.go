package dynamo

import "fmt"

// Keys of the definition registry (KEYS.md, "Definitions"). One partition
// per definition holds its current item and every saved version.
const (
	skDefinition   = "CUR"
	prefixVersion  = "V#"
	gsiDefinitions = "DEFS#" // + kind: the live overrides of a kind
)

func definitionPK(kind, id string) string { return "DEF#" + kind + "#" + id }

// versionSK pads the number so versions sort in order.
func versionSK(n int64) string { return fmt.Sprintf("%s%010d", prefixVersion, n) }

// Old layouts, read once and migrated by the registry (definitions.go).
const (
	skConfig = "CFG" // interests and scoring: CFG#<name>
	skForm   = "F"   // forms: F#<id>, listed under FORMS
	gsiForms = "FORMS"
)

func configPK(name string) string { return "CFG#" + name }
func formPK(id string) string     { return "F#" + id }
