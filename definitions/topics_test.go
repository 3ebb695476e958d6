package definitions

import (
	"slices"
	"testing"

	"github.com/leadflow/leadflow/shared/preference"
	"github.com/leadflow/leadflow/shared/template"
)

func TestRepoTopicsAreValid(t *testing.T) {
	topics, err := Topics()
	if err != nil {
		t.Fatal(err)
	}
	if len(topics) == 0 {
		t.Fatal("no topics in definitions/topics.json")
	}
}

// A marketing template whose topic is not in topics.json could never be
// switched off in the preference centre.
func TestEveryMarketingTemplateHasAKnownTopic(t *testing.T) {
	topics, err := Topics()
	if err != nil {
		t.Fatal(err)
	}
	tpls, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range tpls {
		if tp.Kind == template.KindMarketing && !slices.ContainsFunc(topics, func(x preference.Topic) bool { return x.ID == tp.Topic }) {
			t.Errorf("template %s: topic %q is not in definitions/topics.json", tp.ID, tp.Topic)
		}
	}
}
