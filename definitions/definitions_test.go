package definitions

import "testing"

func TestRepoInterestsAreValid(t *testing.T) {
	rs, err := Interests()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rules) == 0 {
		t.Fatal("no interest rules in definitions/interests.json")
	}
}

func TestEveryRepoDefinitionIsValid(t *testing.T) {
	if err := Validate(); err != nil {
		t.Fatal(err)
	}
}
