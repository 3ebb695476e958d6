package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/shared/catalog"
)

// TestFunctionsLinkNoTemplatePackages guards the linker's dead-code
// removal: text/template (and html/template on top of it) calls methods by
// name through reflect, which makes the linker keep every exported method
// of every reachable type (+5 MB on ingest and links, and a slower cold
// start). No function needs them: its pages escape with html.EscapeString
// and mail templates are shared/template. Listed as the stack builds them
// (-tags lambda.norpc; without it aws-lambda-go pulls in net/rpc, which
// imports html/template).
func TestFunctionsLinkNoTemplatePackages(t *testing.T) {
	fns := catalog.Load().Functions
	if len(fns) == 0 {
		t.Fatal("the catalog lists no functions")
	}
	for _, f := range fns {
		pkg := "github.com/leadflow/leadflow/functions/" + f.Name
		out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, pkg) {
			t.Fatalf("go list %s did not list the package itself:\n%s", pkg, out)
		}
		for _, banned := range []string{"html/template", "text/template"} {
			if slices.Contains(deps, banned) {
				t.Errorf("%s links %s: it turns off the linker's dead-code removal; find the import with `go list -tags lambda.norpc -deps -f '{{.ImportPath}}: {{.Imports}}' ./functions/%s | grep template`", f.Name, banned, f.Name)
			}
		}
		// config.LoadDefaultConfig links the SSO, SSO OIDC, STS and sign-in
		// clients, whose package init runs on every cold start; functions
		// take their configuration from the Lambda environment
		// (fnmain.LambdaConfig).
		for _, banned := range []string{"github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/service/sts", "github.com/aws/aws-sdk-go-v2/service/sso"} {
			if slices.Contains(deps, banned) {
				t.Errorf("%s links %s, which only config.LoadDefaultConfig needs; build the AWS config with fnmain.LambdaConfig", f.Name, banned)
			}
		}
	}
}
