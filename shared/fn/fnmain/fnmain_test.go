package fnmain

import (
	"context"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLambdaConfigFromTheLambdaEnvironment(t *testing.T) {
	cfg, err := LambdaConfig(env(map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "ASIAKEY",
		"AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || cfg.BaseEndpoint != nil {
		t.Errorf("region %q, endpoint %v", cfg.Region, cfg.BaseEndpoint)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "ASIAKEY" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" || creds.CanExpire {
		t.Errorf("credentials %+v, %v", creds, err)
	}

	cfg, err = LambdaConfig(env(map[string]string{
		"AWS_DEFAULT_REGION": "us-east-2", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
	}))
	if err != nil || cfg.Region != "us-east-2" || cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:9" {
		t.Errorf("AWS_DEFAULT_REGION and AWS_ENDPOINT_URL: %+v, %v", cfg, err)
	}

	for name, m := range map[string]map[string]string{
		"no region": {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
		"no key":    {"AWS_REGION": "us-east-1", "AWS_SECRET_ACCESS_KEY": "s"},
		"no secret": {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "k"},
	} {
		if _, err := LambdaConfig(env(m)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
