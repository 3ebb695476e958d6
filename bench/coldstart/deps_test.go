package main

import (
	"go/ast"
	"go/parser"
	"go/token"
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

// TestNoPackageLevelRegexpCompile fails if a Leadflow package that a
// function links compiles a regular expression in a package-level var:
// that runs in every cold start of every function linking the package, used
// or not (shared/imports' three patterns with {1,64} and \p{L} were 3,283
// allocations, 2.5 MB and 30+ ms of every DynamoDB function's init).
// shared/lazyregexp compiles on first use.
func TestNoPackageLevelRegexpCompile(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range catalog.Load().Functions {
		out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "-f",
			`{{if not .Standard}}{{.ImportPath}}{{range .GoFiles}} {{$.Dir}}/{{.}}{{end}}{{end}}`,
			"github.com/leadflow/leadflow/functions/"+f.Name).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", f.Name, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			if len(fields) == 0 || !strings.HasPrefix(fields[0], "github.com/leadflow/leadflow/") || seen[fields[0]] {
				continue
			}
			seen[fields[0]] = true
			for _, file := range fields[1:] {
				for _, at := range packageLevelRegexps(t, file) {
					t.Errorf("%s: package-level regexp compile runs in every cold start of %s (and every other function linking %s); use shared/lazyregexp", at, f.Name, fields[0])
				}
			}
		}
	}
	if !seen["github.com/leadflow/leadflow/shared/imports"] {
		t.Fatal("no function links shared/imports: the test no longer looks where the problem was")
	}
}

// packageLevelRegexps returns the positions of regexp.MustCompile and
// regexp.Compile calls in the package-level var declarations of file.
func packageLevelRegexps(t *testing.T, file string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		ast.Inspect(gd, func(n ast.Node) bool {
			if _, ok := n.(*ast.FuncLit); ok {
				return false // runs when called, not at init
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "regexp" && (sel.Sel.Name == "MustCompile" || sel.Sel.Name == "Compile" || sel.Sel.Name == "MustCompilePOSIX") {
					found = append(found, fset.Position(call.Pos()).String())
				}
			}
			return true
		})
	}
	return found
}

// sdkServicesAllowed lists, per function, the AWS SDK service clients it
// may still link. Each one's package init (a smithy schema per shape,
// endpoint tables, a type registry: 2,000-3,700 allocations per service)
// runs on every cold start; DynamoDB, SQS, EventBridge, SES v2, Scheduler,
// Cognito and S3 go through shared/awsapi instead, whose package init is
// nothing (BENCHMARKS.md, "Cold start ... SDK clients", "Cold start,
// 2026-12-07 night", "... own S3 client"). None is left.
var sdkServicesAllowed = map[string][]string{}

func TestFunctionsLinkNoSDKServiceClientsBeyondTheirList(t *testing.T) {
	const prefix = "github.com/aws/aws-sdk-go-v2/service/"
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
		for _, d := range deps {
			rest, ok := strings.CutPrefix(d, prefix)
			if !ok || strings.HasPrefix(rest, "internal/") {
				continue
			}
			service, _, _ := strings.Cut(rest, "/")
			if !slices.Contains(sdkServicesAllowed[f.Name], service) {
				t.Errorf("%s links %s: its package init runs on every cold start; use shared/awsapi (dynamodb, sqs, eventbridge, sesv2, scheduler, cognitoidentityprovider, s3) or extend it", f.Name, d)
			}
		}
	}
}
