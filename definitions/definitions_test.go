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
