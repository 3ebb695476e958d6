package catalog

import (
	"fmt"
	"slices"
)

// ItemKind names one kind of item in the table (KEYS.md). A function's
// Access.Items lists the kinds it touches; shared/store/dynamo maps each
// kind to its partition-key prefixes, and the stack turns the pair into IAM
// statements with a dynamodb:LeadingKeys condition, so a function reaches
// only the items it has a use for. The local runner enforces the same
// policy, so a declaration that is too narrow fails the local tests rather
// than production.
type ItemKind string

// Kinds of items in the table.
const (
	ItemContact     ItemKind = "contact"      // C#: profiles and timeline chunks
	ItemIdentity    ItemKind = "identity"     // I#: user id, anonymous id, email → contact
	ItemSite        ItemKind = "site"         // S#
	ItemDefinition  ItemKind = "definition"   // DEF#: definitions saved through the admin API, and their versions
	ItemForm        ItemKind = "form"         // F#: forms saved before the registry (read, migrated by admin)
	ItemRateLimit   ItemKind = "rate-limit"   // RL#: form-fill counters
	ItemConfig      ItemKind = "config"       // CFG#: scoring, interests saved before the registry
	ItemTimer       ItemKind = "timer"        // T#
	ItemTimerCursor ItemKind = "timer-cursor" // TIMERCURSOR
	ItemTimerMark   ItemKind = "timer-mark"   // TM#: how far each shard of a bucket has fired
	ItemRoute       ItemKind = "route"        // ROUTE#: routing claims
	ItemRoundRobin  ItemKind = "round-robin"  // RR#: a team's draw counter
	ItemSend        ItemKind = "send"         // SEND#
	ItemIdemKey     ItemKind = "idempotency"  // IK#: send API idempotency keys
	ItemSuppression ItemKind = "suppression"  // SUP#
	ItemSendRate    ItemKind = "send-rate"    // RATE#
	ItemCap         ItemKind = "cap"          // CAP#: frequency caps
	ItemTemplate    ItemKind = "template"     // TPL#: templates saved before the registry
	ItemMailStats   ItemKind = "mail-stats"   // MSTAT#: hourly sent/bounce/complaint counters
	ItemSESEvent    ItemKind = "ses-event"    // SESEVT#: counted SES events
	ItemSoftBounce  ItemKind = "soft-bounce"  // SOFTB#
	ItemAudit       ItemKind = "audit"        // AUDIT, AUDIT#: the admin API's audit log
	ItemImport      ItemKind = "import"       // IMP#: CSV imports and the emails each has seen
	ItemExport      ItemKind = "export"       // EXP#: segment and list exports
	ItemJobRun      ItemKind = "job-run"      // JOB#: a background job run's progress and shard checkpoints
	// Segments and lists (shared/membership).
	ItemMember      ItemKind = "member"       // M#: a contact in a segment's or list's member index
	ItemMemberCount ItemKind = "member-count" // MC#: sharded member counts and build state
	ItemReport      ItemKind = "report"       // RPT#: the dashboard's daily counters
	// ItemJourneyStats: JSTAT#<journey>: step counters per version (runs
	// themselves are C# items, in their contact's partition).
	ItemJourneyStats ItemKind = "journey-stats"
	// ItemJourneyHeld: JHELD#<journey>: the runs a paused journey holds,
	// which resume wakes (and only those).
	ItemJourneyHeld ItemKind = "journey-held"

	// ItemArrivals: AV#<shard>: the log of contacts first seen anonymous,
	// one item per processor invocation that created any (rebuilds visit
	// them; the contacts index holds only identified contacts).
	ItemArrivals ItemKind = "arrivals"
	// Campaigns: lifecycle state and fan-out checkpoints; result counters.
	ItemCampaign      ItemKind = "campaign"       // CAMP#
	ItemCampaignStats ItemKind = "campaign-stats" // CSTAT#

	// Index kinds are partitions of gsi1; the only action on them is Query.
	IndexContacts    ItemKind = "index:contacts"    // CONTACTS#<shard>
	IndexSites       ItemKind = "index:sites"       // SITES
	IndexDefinitions ItemKind = "index:definitions" // DEFS#<kind>
	IndexForms       ItemKind = "index:forms"       // FORMS
	IndexTemplates   ItemKind = "index:templates"   // TEMPLATES
	IndexImports     ItemKind = "index:imports"     // IMPORTS
	IndexExports     ItemKind = "index:exports"     // EXPORTS
	IndexMessages    ItemKind = "index:messages"    // MSGS#<contactId>: a contact's sends
	// IndexJourneySteps: JAT#<journey>#<version>#<step>: the active runs
	// resting at a step (their run records' gsi1 keys).
	IndexJourneySteps ItemKind = "index:journey-steps"
)

// IsIndex reports whether the kind is a gsi1 partition.
func (k ItemKind) IsIndex() bool { return len(k) > 6 && k[:6] == "index:" }

// Op is a DynamoDB action on items, named as IAM names it. Transactions are
// authorized per item as their Put, Update, Delete or ConditionCheck.
type Op string

// The item actions a declaration may name.
const (
	GetItem            Op = "GetItem"
	BatchGetItem       Op = "BatchGetItem"
	Query              Op = "Query"
	PutItem            Op = "PutItem"
	UpdateItem         Op = "UpdateItem"
	DeleteItem         Op = "DeleteItem"
	BatchWriteItem     Op = "BatchWriteItem"
	ConditionCheckItem Op = "ConditionCheckItem"
	// Scan reads every item whatever its key: IAM's LeadingKeys cannot limit
	// it, so nothing declares it (nothing scans the table to find work).
	Scan Op = "Scan"
)

var itemOps = []Op{GetItem, BatchGetItem, Query, PutItem, UpdateItem, DeleteItem, BatchWriteItem, ConditionCheckItem, Scan}

// ItemAccess lets a function run Ops on the items of one kind.
type ItemAccess struct {
	Kind ItemKind
	Ops  []Op
}

// Items is shorthand for one declaration.
func Items(kind ItemKind, ops ...Op) ItemAccess { return ItemAccess{Kind: kind, Ops: ops} }

// UsesTable reports whether the function touches the table at all.
func (a Access) UsesTable() bool { return len(a.Items) > 0 }

func (a Access) validateItems(fn string) []string {
	var problems []string
	seen := map[ItemKind]bool{}
	for _, it := range a.Items {
		if seen[it.Kind] {
			problems = append(problems, fmt.Sprintf("function %q declares %s twice", fn, it.Kind))
		}
		seen[it.Kind] = true
		if len(it.Ops) == 0 {
			problems = append(problems, fmt.Sprintf("function %q declares %s with no actions", fn, it.Kind))
		}
		for _, op := range it.Ops {
			switch {
			case !slices.Contains(itemOps, op):
				problems = append(problems, fmt.Sprintf("function %q: unknown DynamoDB action %q on %s", fn, op, it.Kind))
			case it.Kind.IsIndex() && op != Query:
				problems = append(problems, fmt.Sprintf("function %q: %s is an index partition, only Query applies, not %s", fn, it.Kind, op))
			case op == Scan:
				problems = append(problems, fmt.Sprintf("function %q: Scan cannot be limited to %s (nothing scans the table)", fn, it.Kind))
			}
		}
	}
	return problems
}
