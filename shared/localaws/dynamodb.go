package localaws

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
)

// StartDynamoDB starts DynamoDB Local with -sharedDb, so every client sees the same
// tables whatever its credentials and region, and waits until ListTables answers.
//
// DynamoDB Local has no bind-address option (it listens on every interface), so
// it is started through java/LoopbackDynamoDB.java (compiled by `make tools`
// into .local/tools/dynamodb-loopback), which builds DynamoDB Local's own
// server from the usual arguments and sets its Jetty connector's host to
// 127.0.0.1 before starting it.
func StartDynamoDB(ctx context.Context, o Options) (*Process, error) {
	o, err := prepare(o)
	if err != nil {
		return nil, fmt.Errorf("start dynamodb: %w", err)
	}
	root := o.Root
	emulator := filepath.Join(toolsDir(root), "dynamodb")
	jar := filepath.Join(emulator, "DynamoDBLocal.jar")
	if err := requireFile(jar); err != nil {
		return nil, fmt.Errorf("start dynamodb: %w", err)
	}
	launcher := filepath.Join(toolsDir(root), "dynamodb-loopback")
	if err := requireFile(filepath.Join(launcher, "LoopbackDynamoDB.class")); err != nil {
		return nil, fmt.Errorf("start dynamodb: %w", err)
	}
	java, err := findJava()
	if err != nil {
		return nil, fmt.Errorf("start dynamodb: %w", err)
	}

	return start(ctx, o, spec{
		name: "dynamodb",
		build: func(port int) (*exec.Cmd, []func() error, error) {
			args := []string{
				"-Djava.library.path=" + filepath.Join(emulator, "DynamoDBLocal_lib"),
				"-cp", strings.Join([]string{launcher, jar, filepath.Join(emulator, "DynamoDBLocal_lib", "*")}, string(os.PathListSeparator)),
				"LoopbackDynamoDB",
				"-port", strconv.Itoa(port),
				"-sharedDb",
				// Our machines have no internet; telemetry would only add start-up noise.
				"-disableTelemetry",
			}
			if o.DataDir == "" {
				args = append(args, "-inMemory")
			} else {
				args = append(args, "-dbPath", o.DataDir)
			}
			// DynamoDB Local writes dynamodb-local-metadata.json into its working
			// directory even with -inMemory; give each run its own.
			dir, cleanups, err := configDir(o.DataDir, "localaws-dynamodb-")
			if err != nil {
				return nil, nil, fmt.Errorf("start dynamodb: %w", err)
			}
			cmd := exec.Command(java, args...)
			cmd.Dir = dir
			return cmd, cleanups, nil
		},
		ready: func(ctx context.Context, endpoint string) error {
			cfg, err := AWSConfig(ctx, endpoint)
			if err != nil {
				return err
			}
			client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
				o.RetryMaxAttempts = 1 // the readiness loop does the retrying
			})
			if _, err := client.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}); err != nil {
				return fmt.Errorf("ListTables: %w", err)
			}
			return nil
		},
	})
}

// findJava prefers $JAVA_HOME/bin/java, the way the JDK tools themselves do.
func findJava() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if p := filepath.Join(home, "bin", "java"); fileExists(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("%w (java not found on PATH; the script installs openjdk-17-jre-headless when run as root)", ErrToolsMissing)
	}
	return p, nil
}
