package dynamo

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/membership"
)

// builtKeys is every partition key the key builders make, by the kind the
// catalog calls it. A new builder belongs here: the test below then proves
// its keys fall under its kind's IAM patterns and no other kind's.
func builtKeys() map[catalog.ItemKind][]string {
	at := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	return map[catalog.ItemKind][]string{
		catalog.ItemContact: {contactPK("0f8c"), contactPK("")},
		catalog.ItemIdentity: {
			identityPK(contact.Identity{Kind: contact.Email, Value: "a@b.example"}),
			identityPK(contact.Identity{Kind: contact.UserID, Value: "u1"}),
			identityPK(contact.Identity{Kind: contact.AnonymousID, Value: "anon"}),
		},
		catalog.ItemSite:         {sitePK("lf_site_x")},
		catalog.ItemDefinition:   {definitionPK("forms", "demo-request"), definitionPK("scoring", "default")},
		catalog.ItemForm:         {formPK("demo-request")},
		catalog.ItemRateLimit:    {rateLimitPK("form-ip:demo:abc", at), rateLimitPK("confirm-email:0123", at)},
		catalog.ItemConfig:       {configPK("scoring")},
		catalog.ItemTimer:        {timerPK(at, 0), timerPK(at, 15), timerPK(at, 19)},
		catalog.ItemTimerMark:    {timerMarkPK(at)},
		catalog.ItemTimerCursor:  {timerCursorKey},
		catalog.ItemRoute:        {routePK("q1")},
		catalog.ItemRoundRobin:   {counterPK("sales")},
		catalog.ItemSend:         {sendPK("d-abc")},
		catalog.ItemIdemKey:      {idemKeyPK("a-abc")},
		catalog.ItemSuppression:  {suppressionPK("A@B.example")},
		catalog.ItemSendRate:     {ratePK(at.Unix())},
		catalog.ItemCap:          {capPK("c1")},
		catalog.ItemTemplate:     {templatePK("welcome")},
		catalog.ItemMailStats:    {mailStatsPK(at)},
		catalog.ItemSESEvent:     {eventSeenPK("Bounce#f1")},
		catalog.ItemSoftBounce:   {softBouncePK("a@b.example")},
		catalog.ItemAudit:        {auditAllPK(), auditActorPK("u-1"), auditKindPK("contact")},
		catalog.ItemImport:       {importPK("imp_x"), importClaimPK("imp_x", "a@b.example")},
		catalog.ItemExport:       {exportPK("exp_x")},
		catalog.ItemMember:       {memberPK(membership.Ref{Kind: membership.Segment, ID: "a"}, 0), memberPK(membership.Ref{Kind: membership.List, ID: "b"}, 15)},
		catalog.ItemMemberCount:  {memberCountPK(membership.Ref{Kind: membership.Segment, ID: "a"}), memberCountPK(membership.Ref{Kind: membership.List, ID: "b"}), memberCountsPK},
		catalog.ItemReport:       {reportPK("2026-12-07", 0), reportPK("2026-12-07", 7)},
		catalog.ItemArrivals:     {arrivalsPK(0), arrivalsPK(15)},
		catalog.ItemJourneyStats: {journeyStatsPK("welcome")},
		catalog.ItemJourneyHeld:  {journeyHeldPK("welcome")},
		catalog.ItemJobRun:       {jobRunPK("rescore", "abc123")},
		// Campaigns.
		catalog.ItemCampaign:      {campaignPK("december-newsletter")},
		catalog.ItemCampaignStats: {campaignStatPK("december-newsletter", 0), campaignStatPK("x", 7)},

		catalog.IndexContacts:    {contactShard("c1"), contactShard("c2")},
		catalog.IndexSites:       {gsiSites},
		catalog.IndexDefinitions: {gsiDefinitions + "forms", gsiDefinitions + "scoring"},
		catalog.IndexForms:       {gsiForms},
		catalog.IndexTemplates:   {gsiTemplates},
		catalog.IndexImports:     {gsiImports},
		catalog.IndexExports:     {gsiExports},
		catalog.IndexMessages:    {messagesGSIPK("c1")},
		// Journeys: the runs at a step.
		catalog.IndexJourneySteps: {journeyStepGSIPK("welcome", 3, "wait-2d")},
	}
}

func TestEveryBuiltKeyHasExactlyItsKind(t *testing.T) {
	built := builtKeys()
	for kind, keys := range built {
		for _, k := range keys {
			var matched []catalog.ItemKind
			for other, pats := range kindPatterns {
				if other.IsIndex() != kind.IsIndex() {
					continue // table and index keys never meet in one request
				}
				if slices.ContainsFunc(pats, func(p string) bool { return StringLike(p, k) }) {
					matched = append(matched, other)
				}
			}
			if len(matched) != 1 || matched[0] != kind {
				t.Errorf("key %q (a %s) matches kinds %v; want only %s", k, kind, matched, kind)
			}
		}
	}
	for kind := range kindPatterns {
		if len(built[kind]) == 0 {
			t.Errorf("kind %s has patterns but no key builder in this test", kind)
		}
	}
}

func TestEveryCatalogKindHasPatterns(t *testing.T) {
	for _, f := range catalog.Load().Functions {
		if _, err := PolicyFor(f.Access.Items); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}

func TestStringLike(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"C#*", "C#abc", true}, {"C#*", "C#", true}, {"C#*", "CAP#x", false}, {"C#*", "c#x", false},
		{"SITES", "SITES", true}, {"SITES", "SITES2", false}, {"S#*", "SITES", false},
		{"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*", "", true}, {"TIMERCURSOR", "TIMERCURSOR", true},
	} {
		if got := StringLike(tc.pat, tc.s); got != tc.want {
			t.Errorf("StringLike(%q, %q) = %v", tc.pat, tc.s, got)
		}
	}
}

func TestPolicyStatementsCoverMixedBatches(t *testing.T) {
	// Given a function that batch-reads identities and profiles (one
	// BatchGetItem may carry both) but only puts profiles,
	p, err := PolicyFor([]catalog.ItemAccess{
		catalog.Items(catalog.ItemIdentity, catalog.BatchGetItem),
		catalog.Items(catalog.ItemContact, catalog.BatchGetItem, catalog.PutItem),
		catalog.Items(catalog.IndexSites, catalog.Query),
	})
	if err != nil {
		t.Fatal(err)
	}
	// then one statement allows the mixed batch, as IAM needs,
	if !p.Allows(false, catalog.BatchGetItem, []string{"I#email#a@b", "C#1"}) {
		t.Error("mixed batch get refused")
	}
	// puts reach profiles only, nothing scans, index queries only SITES,
	for _, tc := range []struct {
		index bool
		op    catalog.Op
		keys  []string
	}{
		{false, catalog.PutItem, []string{"I#email#a@b"}},
		{false, catalog.BatchGetItem, []string{"C#1", "SEND#x"}},
		{false, catalog.Scan, nil},
		{false, catalog.Query, []string{"C#1"}},
		{true, catalog.Query, []string{"CONTACTS#3"}},
		{false, catalog.Query, []string{"SITES"}},
	} {
		if p.Allows(tc.index, tc.op, tc.keys) {
			t.Errorf("allowed %s on %v (index %v)", tc.op, tc.keys, tc.index)
		}
	}
	// and the statements group actions by their patterns.
	st := p.Statements()
	if len(st) != 3 {
		t.Fatalf("statements %+v, want 3 (batch get: C#,I#; put: C#; index query: SITES)", st)
	}
}

// ingestClient is a DynamoDB client with the ingest function's policy
// enforced by enforce, pointed at an address where nothing listens.
func ingestClient(t *testing.T, enforce func(Policy) func(*middleware.Stack) error) *dynamodb.Client {
	t.Helper()
	var ingest catalog.Function
	for _, f := range catalog.Load().Functions {
		if f.Name == "ingest" {
			ingest = f
		}
	}
	p, err := PolicyFor(ingest.Access.Items)
	if err != nil {
		t.Fatal(err)
	}
	return dynamodb.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1"), RetryMaxAttempts: 1,
	}, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, enforce(p)) })
}

func TestEnforceRefusesUndeclaredRequestsBeforeSending(t *testing.T) {
	// Given a client with the ingest function's policy, pointed at an
	// address where nothing listens,
	db := ingestClient(t, func(p Policy) func(*middleware.Stack) error { return p.Enforce("ingest") })
	st := New(db, "t")
	ctx := context.Background()
	denied := func(err error) bool {
		var ae smithy.APIError
		return errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException"
	}
	// when it reads a profile, reads a form, or scans,
	if _, err := st.GetProfile(ctx, "c1"); !denied(err) {
		t.Errorf("ingest reading a profile: %v, want AccessDeniedException", err)
	}
	if _, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("t")}); !denied(err) {
		t.Errorf("ingest scanning: %v", err)
	}
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("t"), Key: key(rateLimitPK("k", time.Now()), skRateLimit)}); !denied(err) {
		t.Errorf("ingest deleting a counter: %v", err)
	}
	// then the undeclared ones are refused before any network call, and a
	// declared one goes out (and fails only for want of a server).
	_, _, err := st.GetDefinition(ctx, "forms", "demo")
	if err == nil || denied(err) {
		t.Errorf("declared GetItem on a form: %v, want a connection error", err)
	}
	if err := st.SaveDefinition(ctx, definition.Stored{Kind: "forms", ID: "demo", Version: 1, Body: []byte(`{}`)}, 0); !denied(err) {
		t.Errorf("ingest saving a form: %v, want AccessDeniedException", err)
	}
	q := &dynamodb.QueryInput{TableName: aws.String("t"), IndexName: aws.String(gsi1),
		KeyConditionExpression:    aws.String("#k = :p AND begins_with(gsi1sk, :s)"),
		ExpressionAttributeNames:  map[string]string{"#k": attrGSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("SITES"), ":s": s("a")}}
	if _, err := db.Query(ctx, q); !denied(err) || !strings.Contains(err.Error(), "SITES") {
		t.Errorf("ingest querying the sites index: %v", err)
	}
}

// accessTable renders who touches which item kinds, as KEYS.md lists it.
func accessTable() string {
	var sb strings.Builder
	sb.WriteString("| function | item kind | partition keys | actions |\n|---|---|---|---|\n")
	for _, f := range catalog.Load().Functions {
		if !f.Access.UsesTable() {
			sb.WriteString("| " + f.Name + " | — | — | no table access |\n")
			continue
		}
		for _, it := range f.Access.Items {
			pats, _ := KindPatterns(it.Kind)
			var ops []string
			for _, op := range it.Ops {
				ops = append(ops, string(op))
			}
			where := "`" + strings.Join(pats, "`, `") + "`"
			if it.Kind.IsIndex() {
				where = "gsi1 " + where
			}
			sb.WriteString("| " + f.Name + " | " + string(it.Kind) + " | " + where + " | " + strings.Join(ops, ", ") + " |\n")
		}
	}
	return sb.String()
}

func TestKEYSmdListsEachFunctionsAccess(t *testing.T) {
	raw, err := os.ReadFile("KEYS.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := accessTable(); !strings.Contains(string(raw), want) {
		t.Errorf("KEYS.md's \"Access by function\" table is not the catalog's; want:\n%s", want)
	}
}

// TestEnforceReportingTellsEachRefusal: the reporting form calls back for
// each refused call (so a test can fail on a refusal a handler only logs),
// and not for an allowed one.
func TestEnforceReportingTellsEachRefusal(t *testing.T) {
	var told []string
	st := New(ingestClient(t, func(p Policy) func(*middleware.Stack) error {
		return p.EnforceReporting("ingest", func(fn, why string) { told = append(told, fn+": "+why) })
	}), "t")
	if _, err := st.GetProfile(context.Background(), "c1"); err == nil {
		t.Fatal("ingest read a profile")
	}
	if _, _, err := st.GetDefinition(context.Background(), "forms", "demo"); err == nil {
		t.Fatal("a declared read reached no server and still succeeded")
	}
	if len(told) != 1 || !strings.HasPrefix(told[0], "ingest: dynamodb:") {
		t.Errorf("told %q, want the one refused profile read", told)
	}
}
