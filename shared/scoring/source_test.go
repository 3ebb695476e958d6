package scoring

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

type configStore map[string][]byte

func (c configStore) GetConfig(_ context.Context, name string) ([]byte, bool, error) {
	raw, ok := c[name]
	return raw, ok, nil
}

func TestSourceUsesTheStoredModelAsIsAndLeavesDefaultsAlone(t *testing.T) {
	defaults := Model{Engagement: []EngagementRule{{ID: "docs", Event: "page", Points: 3, Cap: &Cap{Points: 15, Period: "week"}}}}
	stored := Model{Engagement: []EngagementRule{{ID: "docs", Event: "page", Points: 40}}} // no cap
	raw, _ := json.Marshal(stored)
	src := NewSource(configStore{ConfigName: raw}, defaults, 0, nil)
	e, err := src.Engine(context.Background())
	if err != nil {
		t.Fatalf("stored model rejected: %v", err)
	}
	if got := e.Model().Engagement[0]; got.Cap != nil || got.Points != 40 {
		t.Errorf("engine rule %+v, want the stored one without a cap", got)
	}
	if defaults.Engagement[0].Cap == nil || defaults.Engagement[0].Points != 3 {
		t.Errorf("defaults were changed: %+v", defaults.Engagement[0])
	}
	empty := NewSource(configStore{}, defaults, time.Minute, nil)
	if e, _ := empty.Engine(context.Background()); e.Model().Engagement[0].Points != 3 {
		t.Error("without a stored model the defaults apply")
	}
}
