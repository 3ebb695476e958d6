package dynamo_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
)

// TestImportClaimsContactsDynamoDB: a page's emails are claimed in one
// call; a new email is linked to a new contact (the link is the claim), a
// known one keeps its contact and gets a claim; the same lines again answer
// the same contacts; a later line of either is a duplicate of the first;
// another import claims on its own.
func TestImportClaimsContactsDynamoDB(t *testing.T) {
	_, st := localTable(t, "imports")
	ctx := t.Context()
	known, err := st.LinkIdentity(ctx, contact.Identity{Kind: contact.Email, Value: "known@example.com"}, "c_known", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{"known@example.com": 2}
	for i := range 150 { // more than one BatchGetItem
		lines[fmt.Sprintf("n%03d@example.com", i)] = 3 + i
	}
	first, err := st.ClaimContacts(ctx, "imp_a", lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(lines) {
		t.Fatalf("%d claims for %d emails", len(first), len(lines))
	}
	if c := first["known@example.com"]; c.ContactID != known || c.New || c.DuplicateOf != 0 {
		t.Errorf("known contact's claim %+v", c)
	}
	seen := map[string]bool{}
	for e, c := range first {
		if e == "known@example.com" {
			continue
		}
		if !c.New || c.DuplicateOf != 0 || c.ContactID == "" || seen[c.ContactID] {
			t.Fatalf("%s: claim %+v (want a new contact of its own)", e, c)
		}
		seen[c.ContactID] = true
		// The processor finds the contact by the email, as for any link.
		owners, err := st.LookupIdentities(ctx, []contact.Identity{{Kind: contact.Email, Value: e}})
		if err != nil || owners[contact.Identity{Kind: contact.Email, Value: e}] != c.ContactID {
			t.Fatalf("%s: link %v %v, want %s", e, owners, err, c.ContactID)
		}
	}
	// The page runs again (a crash before its commit): the same answers.
	again, err := st.ClaimContacts(ctx, "imp_a", lines)
	if err != nil {
		t.Fatal(err)
	}
	for e, c := range first {
		if again[e] != c {
			t.Errorf("%s: claimed %+v, again %+v", e, c, again[e])
		}
	}
	// A later page repeats two emails.
	later, err := st.ClaimContacts(ctx, "imp_a", map[string]int{"known@example.com": 500, "n007@example.com": 501, "fresh@example.com": 502})
	if err != nil {
		t.Fatal(err)
	}
	if c := later["known@example.com"]; c.DuplicateOf != 2 || c.ContactID != known {
		t.Errorf("known again: %+v, want a duplicate of line 2", c)
	}
	if c := later["n007@example.com"]; c.DuplicateOf != 10 || c.ContactID != first["n007@example.com"].ContactID {
		t.Errorf("n007 again: %+v, want a duplicate of line 10", c)
	}
	if c := later["fresh@example.com"]; !c.New || c.DuplicateOf != 0 {
		t.Errorf("fresh: %+v", c)
	}
	// Another import of the same emails is not a duplicate of the first.
	other, err := st.ClaimContacts(ctx, "imp_b", map[string]int{"known@example.com": 9, "n007@example.com": 4})
	if err != nil {
		t.Fatal(err)
	}
	for e, c := range other {
		if c.DuplicateOf != 0 || c.New || c.ContactID != later[e].ContactID {
			t.Errorf("imp_b %s: %+v, want the existing contact %s", e, c, later[e].ContactID)
		}
	}
}
