package runner_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/eventbridge"

	"github.com/leadflow/leadflow/shared/bus"
)

func TestEventsPublishedThroughTheSDKReachTheLocalBus(t *testing.T) {
	e := newEnv(t)
	pub := bus.NewEventBridge(eventbridge.NewFromConfig(e.platform.AWS()), "leadflow")
	var evs []bus.Event
	for i := 0; i < 12; i++ { // more than one PutEvents call
		evs = append(evs, bus.Event{DetailType: "lead.qualified", Detail: map[string]any{"contact_id": "c_1", "n": i}, Time: time.Now(), Resources: []string{"c_1"}})
	}
	if err := pub.Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	got := e.platform.Published()
	if len(got) != 12 {
		t.Fatalf("published %d events, want 12", len(got))
	}
	var detail map[string]any
	if err := json.Unmarshal(got[11].Detail, &detail); err != nil || detail["n"] != float64(11) {
		t.Errorf("detail %s", got[11].Detail)
	}
	if got[0].Source != bus.Source || got[0].DetailType != "lead.qualified" || got[0].Bus != "leadflow" || got[0].Resources[0] != "c_1" {
		t.Errorf("event %+v", got[0])
	}
}
