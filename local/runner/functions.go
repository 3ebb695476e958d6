package runner

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/adminfn"
	"github.com/leadflow/leadflow/shared/fn/campaignsfn"
	"github.com/leadflow/leadflow/shared/fn/ingestfn"
	"github.com/leadflow/leadflow/shared/fn/jobsfn"
	"github.com/leadflow/leadflow/shared/fn/linksfn"
	"github.com/leadflow/leadflow/shared/fn/processorfn"
	"github.com/leadflow/leadflow/shared/fn/routerfn"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
	"github.com/leadflow/leadflow/shared/fn/seseventsfn"
	"github.com/leadflow/leadflow/shared/fn/timersfn"
	"github.com/leadflow/leadflow/shared/fn/webhooksfn"
)

// localSendRate is the sender's rate when SES_MAX_SEND_RATE is not set.
const localSendRate = "14"

// build constructs a catalog function's handler exactly as its main.go does,
// from the environment the stack would give it. Adding a function to the
// catalog without adding it here fails the runner's tests. clock is the
// timer wheel's tick clock (Options.TimerClock; nil: time.Now).
func build(name string, awsCfg aws.Config, getenv func(string) string, log *slog.Logger, clock func() time.Time) (lambda.Handler, error) {
	switch name {
	case "ingest":
		cfg, err := ingestfn.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(ingestfn.New(awsCfg, cfg, log)), nil
	case "processor":
		// JOURNEY_WAIT_SCALE is not a catalog variable (the stack never
		// sets it): tests and `make dev` shorten journey waits with it.
		cfg, err := processorfn.ConfigFromEnv(func(k string) string {
			if k == processorfn.EnvJourneyWaitScale {
				return os.Getenv(k)
			}
			return getenv(k)
		})
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(processorfn.New(awsCfg, cfg, log).Handle), nil
	case "admin":
		// Locally nothing would email an invitation, so the users API
		// returns the temporary password once instead.
		cfg, err := adminfn.ConfigFromEnv(func(k string) string {
			if k == adminfn.EnvShowTemporaryPasswords {
				return "1"
			}
			return getenv(k)
		})
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(adminfn.New(awsCfg, cfg, log).Handle), nil
	case "timers":
		cfg, err := timersfn.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(timersfn.NewClocked(awsCfg, cfg, log, clock).Handle), nil
	case "campaigns":
		// CAMPAIGN_AB_WAIT is not a catalog variable: tests and the bench
		// shorten A/B waits with it in the runner's own environment.
		cfg, err := campaignsfn.ConfigFromEnv(func(k string) string {
			if k == campaignsfn.EnvABWait {
				return os.Getenv(k)
			}
			return getenv(k)
		})
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(campaignsfn.New(awsCfg, cfg, log).Handle), nil
	case "jobs":
		cfg, err := jobsfn.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		h := jobsfn.New(awsCfg, cfg, log)
		// Not a catalog variable: tests import in small pages to see many.
		if n, err := strconv.Atoi(getenv(jobsfn.EnvImportPageSize)); err == nil && n > 0 {
			h.ImportPageSize(n)
		}
		if n, err := strconv.Atoi(getenv(jobsfn.EnvExportPageSize)); err == nil && n > 0 {
			h.ExportPageSize(n)
		}
		return lambda.NewHandler(h.Handle), nil
	case "router":
		cfg, err := routerfn.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(routerfn.New(awsCfg, cfg, log).Handle), nil
	case "sesevents":
		cfg, err := seseventsfn.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(seseventsfn.New(awsCfg, cfg, log).Handle), nil
	case "links":
		cfg, err := linksfn.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(linksfn.New(awsCfg, cfg, log).Handle), nil
	case "sender":
		// SES_MAX_SEND_RATE (optional in the stack) and SEND_IN_DOUBT_AFTER
		// (never set by the stack) are not catalog variables: tests and the
		// bench set them in the runner's own environment. The local SES
		// server cannot answer GetAccount, so the rate defaults to 14/s, the
		// rate SES gives an account leaving the sandbox.
		cfg, err := senderfn.ConfigFromEnv(func(k string) string {
			switch k {
			case senderfn.EnvMaxSendRate:
				if v := os.Getenv(k); v != "" {
					return v
				}
				return localSendRate
			case senderfn.EnvInDoubtAfter:
				return os.Getenv(k)
			}
			return getenv(k)
		})
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(senderfn.New(awsCfg, cfg, log).Handle), nil
	case "webhooks":
		// WEBHOOK_BACKOFF is not a catalog variable (the stack never sets
		// it), so it comes from the runner's own environment: tests and
		// `make dev` shorten the retry schedule with it.
		cfg, err := webhooksfn.ConfigFromEnv(func(k string) string {
			if k == webhooksfn.EnvBackoff {
				return os.Getenv(k)
			}
			return getenv(k)
		})
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(webhooksfn.New(awsCfg, cfg, log).Handle), nil
	}
	return nil, fmt.Errorf("runner: catalog function %q has no local constructor", name)
}
