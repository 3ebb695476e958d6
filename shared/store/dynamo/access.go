package dynamo

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/catalog"
)

// kindPatterns are the partition keys of each item kind the catalog names,
// as IAM StringLike patterns. The key builders (keys.go and its siblings)
// are the only code that spells keys; access_test.go checks that each
// builder's keys match its kind here and no other, so a new key prefix
// cannot ship without a kind (and without functions being granted it).
var kindPatterns = map[catalog.ItemKind][]string{
	catalog.ItemContact:      {"C#*"},
	catalog.ItemIdentity:     {"I#*"},
	catalog.ItemSite:         {"S#*"},
	catalog.ItemDefinition:   {"DEF#*"},
	catalog.ItemForm:         {"F#*"},
	catalog.ItemRateLimit:    {"RL#*"},
	catalog.ItemConfig:       {"CFG#*"},
	catalog.ItemTimer:        {prefixTimer + "*"},
	catalog.ItemTimerCursor:  {timerCursorKey},
	catalog.ItemTimerMark:    {prefixTimerMark + "*"},
	catalog.ItemRoute:        {"ROUTE#*"},
	catalog.ItemRoundRobin:   {"RR#*"},
	catalog.ItemSend:         {"SEND#*"},
	catalog.ItemIdemKey:      {"IK#*"},
	catalog.ItemSuppression:  {"SUP#*"},
	catalog.ItemSendRate:     {"RATE#*"},
	catalog.ItemCap:          {"CAP#*"},
	catalog.ItemTemplate:     {"TPL#*"},
	catalog.ItemMailStats:    {"MSTAT#*"},
	catalog.ItemSESEvent:     {"SESEVT#*"},
	catalog.ItemSoftBounce:   {"SOFTB#*"},
	catalog.ItemAudit:        {auditAll, prefixAuditBy + "*", prefixAuditOf + "*"},
	catalog.ItemImport:       {prefixImport + "*"},
	catalog.ItemExport:       {prefixExport + "*"},
	catalog.ItemMember:       {prefixMember + "*"},
	catalog.ItemMemberCount:  {prefixMemberCount + "*"},
	catalog.ItemArrivals:     {prefixArrivals + "*"},
	catalog.ItemReport:       {"RPT#*"},
	catalog.ItemJourneyStats: {prefixJourneyStats + "*"},
	catalog.ItemJourneyHeld:  {prefixJourneyHeld + "*"},
	catalog.ItemJobRun:       {prefixJob + "*"},
	// Campaigns.
	catalog.ItemCampaign:      {prefixCampaign + "*"},
	catalog.ItemCampaignStats: {prefixCStat + "*"},

	catalog.IndexContacts:    {"CONTACTS#*"},
	catalog.IndexSites:       {gsiSites},
	catalog.IndexDefinitions: {gsiDefinitions + "*"},
	catalog.IndexForms:       {gsiForms},
	catalog.IndexTemplates:   {gsiTemplates},
	catalog.IndexImports:     {gsiImports},
	catalog.IndexExports:     {gsiExports},
	catalog.IndexMessages:    {gsiMessagesPrefix + "*"},
	// Journeys: the runs at a step (journeykeys.go).
	catalog.IndexJourneySteps: {gsiJourneyStepPrefix + "*"},
}

// KindPatterns returns the partition-key patterns of a kind (gsi1's for an
// index kind).
func KindPatterns(k catalog.ItemKind) ([]string, bool) {
	p, ok := kindPatterns[k]
	return slices.Clone(p), ok
}

// Policy is what one function may do in the table: for each action, the
// partition keys it may touch, in the table and in gsi1. It is the single
// model behind the function's IAM statements (the stack) and the local
// runner's check of every request (Enforce), so both allow the same.
type Policy struct {
	Table map[catalog.Op][]string
	Index map[catalog.Op][]string
}

// PolicyFor builds a function's policy from its catalog declarations.
func PolicyFor(items []catalog.ItemAccess) (Policy, error) {
	p := Policy{Table: map[catalog.Op][]string{}, Index: map[catalog.Op][]string{}}
	for _, it := range items {
		pats, ok := kindPatterns[it.Kind]
		if !ok {
			return Policy{}, fmt.Errorf("item kind %q has no key patterns in shared/store/dynamo", it.Kind)
		}
		m := p.Table
		if it.Kind.IsIndex() {
			m = p.Index
		}
		for _, op := range it.Ops {
			for _, pat := range pats {
				if !slices.Contains(m[op], pat) {
					m[op] = append(m[op], pat)
				}
			}
		}
	}
	for _, m := range []map[catalog.Op][]string{p.Table, p.Index} {
		for op := range m {
			sort.Strings(m[op])
		}
	}
	return p, nil
}

// Statement is one IAM statement of a policy: actions allowed on the table
// (or on gsi1) for items whose partition key matches one of Patterns.
type Statement struct {
	Index    bool
	Actions  []catalog.Op
	Patterns []string
}

// Statements groups the actions that share a pattern list into one
// statement each. A request whose keys span several kinds (a BatchGetItem
// of links and profiles) is allowed by IAM only if one statement covers all
// its keys, which grouping by action guarantees.
func (p Policy) Statements() []Statement {
	var out []Statement
	for _, side := range []struct {
		index bool
		m     map[catalog.Op][]string
	}{{false, p.Table}, {true, p.Index}} {
		groups := map[string]*Statement{}
		var order []string
		for op, pats := range side.m {
			k := strings.Join(pats, "\x00")
			g, ok := groups[k]
			if !ok {
				g = &Statement{Index: side.index, Patterns: pats}
				groups[k] = g
				order = append(order, k)
			}
			g.Actions = append(g.Actions, op)
		}
		sort.Strings(order)
		for _, k := range order {
			g := groups[k]
			slices.Sort(g.Actions)
			out = append(out, *g)
		}
	}
	return out
}

// Allows reports whether the policy lets action touch items with these
// partition keys, as IAM decides it: some statement names the action and
// every key matches one of its patterns (ForAllValues:StringLike on
// dynamodb:LeadingKeys).
func (p Policy) Allows(index bool, action catalog.Op, keys []string) bool {
	m := p.Table
	if index {
		m = p.Index
	}
	pats, ok := m[action]
	if !ok {
		return false
	}
	for _, k := range keys {
		if !slices.ContainsFunc(pats, func(pat string) bool { return StringLike(pat, k) }) {
			return false
		}
	}
	return true
}

// StringLike matches IAM's StringLike operator: '*' any run of characters,
// '?' any one character, everything else literally (case-sensitive).
func StringLike(pattern, s string) bool {
	pr, sr := []rune(pattern), []rune(s)
	// Classic two-pointer glob with backtracking to the last '*'.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(sr) {
		switch {
		case pi < len(pr) && (pr[pi] == '?' || pr[pi] == sr[si]):
			pi++
			si++
		case pi < len(pr) && pr[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '*' {
		pi++
	}
	return pi == len(pr)
}

// request is one authorization IAM makes for a DynamoDB call: TransactWriteItems
// and TransactGetItems are authorized item by item, as their own actions.
type request struct {
	index  bool
	action catalog.Op
	keys   []string
}

// Enforce is SDK middleware that refuses, before it is sent, every DynamoDB
// request this policy would not allow in AWS, with the AccessDeniedException
// AWS answers. The local runner puts it on each function's clients: DynamoDB
// Local knows nothing of IAM, and a policy too narrow for the code would
// otherwise only fail in production.
func (p Policy) Enforce(function string) func(*middleware.Stack) error {
	return p.EnforceReporting(function, nil)
}

// EnforceReporting is Enforce that also tells denied (when not nil) of
// every refusal: a handler that logs an error and goes on would otherwise
// hide a catalog declaration too narrow for its code (the local runner's
// tests fail on any).
func (p Policy) EnforceReporting(function string, denied func(function, why string)) func(*middleware.Stack) error {
	refuse := func(function, why string) error {
		if denied != nil {
			denied(function, why)
		}
		return deny(function, why)
	}
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("LeadflowLocalIAM",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if middleware.GetServiceID(ctx) != dynamodb.ServiceID {
					return next.HandleInitialize(ctx, in)
				}
				reqs, err := requestsOf(in.Parameters)
				if err != nil {
					return middleware.InitializeOutput{}, middleware.Metadata{}, refuse(function, err.Error())
				}
				for _, r := range reqs {
					if !p.Allows(r.index, r.action, r.keys) {
						where := "table"
						if r.index {
							where = "index " + gsi1
						}
						return middleware.InitializeOutput{}, middleware.Metadata{}, refuse(function,
							fmt.Sprintf("dynamodb:%s on %s for partition keys %q is not in its catalog declaration (shared/catalog)", r.action, where, r.keys))
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

func deny(function, why string) error {
	return &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "local IAM: function " + function + ": " + why, Fault: smithy.FaultClient}
}

// requestsOf lists the authorizations a DynamoDB input needs.
func requestsOf(params any) ([]request, error) {
	pk := func(item map[string]types.AttributeValue) string { return str(item, attrPK) }
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		return []request{{action: catalog.GetItem, keys: []string{pk(in.Key)}}}, nil
	case *dynamodb.PutItemInput:
		return []request{{action: catalog.PutItem, keys: []string{pk(in.Item)}}}, nil
	case *dynamodb.UpdateItemInput:
		return []request{{action: catalog.UpdateItem, keys: []string{pk(in.Key)}}}, nil
	case *dynamodb.DeleteItemInput:
		return []request{{action: catalog.DeleteItem, keys: []string{pk(in.Key)}}}, nil
	case *dynamodb.BatchGetItemInput:
		r := request{action: catalog.BatchGetItem}
		for _, ka := range in.RequestItems {
			for _, k := range ka.Keys {
				r.keys = append(r.keys, pk(k))
			}
		}
		return []request{r}, nil
	case *dynamodb.BatchWriteItemInput:
		r := request{action: catalog.BatchWriteItem}
		for _, ws := range in.RequestItems {
			for _, w := range ws {
				switch {
				case w.PutRequest != nil:
					r.keys = append(r.keys, pk(w.PutRequest.Item))
				case w.DeleteRequest != nil:
					r.keys = append(r.keys, pk(w.DeleteRequest.Key))
				}
			}
		}
		return []request{r}, nil
	case *dynamodb.TransactWriteItemsInput:
		var out []request
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, request{action: catalog.PutItem, keys: []string{pk(it.Put.Item)}})
			case it.Update != nil:
				out = append(out, request{action: catalog.UpdateItem, keys: []string{pk(it.Update.Key)}})
			case it.Delete != nil:
				out = append(out, request{action: catalog.DeleteItem, keys: []string{pk(it.Delete.Key)}})
			case it.ConditionCheck != nil:
				out = append(out, request{action: catalog.ConditionCheckItem, keys: []string{pk(it.ConditionCheck.Key)}})
			}
		}
		return out, nil
	case *dynamodb.TransactGetItemsInput:
		var out []request
		for _, it := range in.TransactItems {
			if it.Get != nil {
				out = append(out, request{action: catalog.GetItem, keys: []string{pk(it.Get.Key)}})
			}
		}
		return out, nil
	case *dynamodb.QueryInput:
		index := in.IndexName != nil
		attr := attrPK
		if index {
			attr = attrGSI1PK
		}
		v, err := keyConditionValue(in, attr)
		if err != nil {
			return nil, err
		}
		return []request{{index: index, action: catalog.Query, keys: []string{v}}}, nil
	case *dynamodb.ScanInput:
		return []request{{index: in.IndexName != nil, action: catalog.Scan}}, nil
	}
	return nil, fmt.Errorf("%T is not an item action any function is granted", params)
}

// keyConditionValue finds the value a Query's key condition gives the
// partition key attribute (the part "<attr> = :v" of the expression).
func keyConditionValue(in *dynamodb.QueryInput, attr string) (string, error) {
	expr := ""
	if in.KeyConditionExpression != nil {
		expr = *in.KeyConditionExpression
	}
	for _, part := range splitAnd(expr) {
		lhs, rhs, ok := strings.Cut(part, "=")
		if !ok || strings.ContainsAny(rhs, "<>") || strings.HasSuffix(lhs, "<") || strings.HasSuffix(lhs, ">") {
			continue
		}
		name := strings.TrimSpace(lhs)
		if n, ok := in.ExpressionAttributeNames[name]; ok {
			name = n
		}
		if name != attr {
			continue
		}
		v, ok := in.ExpressionAttributeValues[strings.TrimSpace(rhs)].(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("query on %s: the key condition's value is not a string", attr)
		}
		return v.Value, nil
	}
	return "", fmt.Errorf("query: no %s = :value in key condition %q", attr, expr)
}

func splitAnd(expr string) []string {
	var out []string
	rest := expr
	for {
		i := strings.Index(strings.ToUpper(rest), " AND ")
		if i < 0 {
			return append(out, rest)
		}
		out = append(out, rest[:i])
		rest = rest[i+5:]
	}
}
