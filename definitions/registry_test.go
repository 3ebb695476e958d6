package definitions_test

import (
	"testing"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/definitions/registrytest"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/definition/memstore"
)

func TestRegistryBehaviourForEveryKind(t *testing.T) {
	registrytest.Run(t, func(*testing.T) definition.Store { return memstore.New() })
}

// The catalog's kinds list (which makes the routes) and the specs must name
// the same kinds in the same order.
func TestCatalogListsEveryKind(t *testing.T) {
	specs := definitions.Specs()
	kinds := catalog.DefinitionKinds()
	if len(specs) != len(kinds) {
		t.Fatalf("%d specs, %d catalog kinds", len(specs), len(kinds))
	}
	for i, k := range kinds {
		if string(specs[i].Kind) != k.Name || specs[i].Singleton != (k.Param == "") {
			t.Errorf("catalog kind %d is %+v, spec %s (singleton %v)", i, k, specs[i].Kind, specs[i].Singleton)
		}
	}
}
