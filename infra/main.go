// Command infra is Leadflow's CDK app: `npx cdk deploy` runs it from the
// repository root (cdk.json: "app": "go run ./infra").
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/leadflow/leadflow/definitions"
)

const defaultAssetDir = ".build/functions"

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "leadflow infra:", err)
		os.Exit(1)
	}
}

func run() (err error) {
	// The stack panics on a bad catalog, context value or missing binary;
	// report that as one line instead of a jsii stack trace.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	// The marketing definitions compiled into the functions (scoring rules,
	// forms, templates...) are validated here too, so a broken one stops the
	// deploy rather than every cold start.
	if err := definitions.Validate(); err != nil {
		return fmt.Errorf("definitions: %w", err)
	}
	app := awscdk.NewApp(nil)
	assetDir, err := resolveAssetDir(contextString(app.Node(), ctxAssetDir, defaultAssetDir))
	if err != nil {
		return err
	}
	consoleDir, err := resolveAssetDir("console/dist")
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(consoleDir, "index.html")); err != nil {
		consoleDir = "" // the stack warns: `make synth` builds it first
	}
	NewLeadflowStack(app, "Leadflow", &LeadflowStackProps{
		StackProps: awscdk.StackProps{
			Description: jsii.String("Leadflow: serverless marketing automation"),
		},
		AssetDir:   assetDir,
		ConsoleDir: consoleDir,
	})
	addSecurityChecks(app)
	app.Synth(nil)
	return nil
}

// addSecurityChecks runs cdk-nag's AWS Solutions and Serverless packs on
// every stack; their findings are synth errors unless a resource carries a
// suppression whose reason holds for every resource it covers.
func addSecurityChecks(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// resolveAssetDir makes a relative asset dir relative to the repository root
// (the folder holding go.mod), so the app works from any working directory.
func resolveAssetDir(dir string) (string, error) {
	if filepath.IsAbs(dir) {
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("asset dir: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, dir), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("asset dir: no go.mod above " + wd + " to resolve " + dir + " against")
		}
	}
}
