package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// TestRunnerKeepsRepoCampaignSchedules: the runner keeps the r-<id>
// schedules the stack creates for the repo's campaigns (the same list,
// campaign.RepoSchedules, with the same expression, zone, end and input),
// and fires them: a repo campaign nobody scheduled through the API goes
// out on time to its audience.
func TestRunnerKeepsRepoCampaignSchedules(t *testing.T) {
	repo, err := definitions.RepoCampaigns()
	if err != nil || len(repo) == 0 {
		t.Fatalf("repo campaigns %v, %v", repo, err)
	}
	e := sendEnv(t, 50, 0)
	want, err := campaign.RepoSchedules(repo, time.Now())
	if err != nil || len(want) == 0 {
		t.Fatalf("repo schedules %v, %v", want, err)
	}
	kept := map[string]runner.LocalSchedule{}
	for _, s := range e.platform.Schedules() {
		kept[s.Group+"/"+s.Name] = s
	}
	for _, w := range want {
		s, ok := kept["leadflow-campaigns/"+w.Name]
		if !ok || !strings.HasPrefix(w.Name, "r-") {
			t.Errorf("no runner schedule %s in %v", w.Name, kept)
			continue
		}
		if s.Expression != w.Expression || s.Zone != w.Zone || !s.End.Equal(w.End) || s.Input != w.Message.Encode() ||
			!strings.HasSuffix(s.TargetARN, ":"+strings.TrimSuffix(e.table, "leadflow")+"campaigns") || s.Next.IsZero() {
			t.Errorf("schedule %s = %+v, want %+v to the campaigns queue", w.Name, s, w)
		}
	}

	// A campaign kept in the repo that is due in a few seconds (the
	// platform is given it as the stack would be); its definition is in
	// the registry, and nobody schedules it through the API.
	id := "repo-" + strings.TrimSuffix(e.table, "-leadflow")
	at := time.Now().UTC().Add(8 * time.Second).Format(campaign.LocalLayoutSeconds)
	body := fmt.Sprintf(`{"id":%q,"name":"Repo launch","audience":{"lists":["launch"],"exclude_segments":["customers"]},
		"template":"welcome","topic":"newsletter","schedule":{"type":"at","at":%q,"zone":"UTC"}}`, id, at)
	c, err := definition.DecodeAs[campaign.Campaign](json.RawMessage(body))
	if err != nil {
		t.Fatal(err)
	}
	f := newEnv(t, func(o *runner.Options) { o.Campaigns = &[]campaign.Campaign{c} })
	recipients := f.campaignAudience(10, 2)
	st := dynamo.New(dynamodb.NewFromConfig(f.platform.AWS()), f.table)
	if err := st.SaveDefinition(context.Background(), definition.Stored{Kind: definitions.KindCampaigns, ID: id, Body: json.RawMessage(body),
		Version: 1, At: time.Now().UTC(), By: "repo", CreatedAt: time.Now().UTC()}, 0); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range f.platform.Schedules() {
		found = found || s.Name == campaign.RepoScheduleName(id)
	}
	if !found {
		t.Fatalf("no r- schedule for %s: %+v", id, f.platform.Schedules())
	}
	st2 := f.waitCampaign(id, campaign.Sent, 60*time.Second)
	got := waitMails(f, id, len(recipients), 60*time.Second)
	for _, addr := range recipients {
		if got[strings.ToLower(addr)] != 1 {
			t.Errorf("%s got %d mails", addr, got[strings.ToLower(addr)])
		}
	}
	if len(got) != len(recipients) {
		t.Errorf("%d recipients, want %d", len(got), len(recipients))
	}
	if st2["state"] != string(campaign.Sent) {
		t.Errorf("state %v", st2)
	}
}
