package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/catalog"
)

// No EventBridge server exists to run locally, so the runner serves the one
// call Leadflow makes, PutEvents, over EventBridge's own JSON protocol. The
// production adapter and SDK client talk to it unchanged; published events
// are kept for tests and delivered to the catalog's event rules like the
// default bus would.

// PublishedEvent is an event as EventBridge would deliver it to a target.
type PublishedEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	Bus        string          `json:"-"`
}

type eventBus struct {
	p      *Platform
	mu     sync.Mutex
	events []PublishedEvent
	srv    *http.Server
	url    string
}

func startEventBus(ctx context.Context, p *Platform) (*eventBus, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("local event bus: %w", err)
	}
	b := &eventBus{p: p, url: "http://" + ln.Addr().String()}
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second}
	go b.srv.Serve(ln)
	go func() {
		<-ctx.Done()
		b.srv.Close()
	}()
	return b, nil
}

type putEventsInput struct {
	Entries []struct {
		Source       string   `json:"Source"`
		DetailType   string   `json:"DetailType"`
		Detail       string   `json:"Detail"`
		EventBusName string   `json:"EventBusName"`
		Resources    []string `json:"Resources"`
		Time         *float64 `json:"Time"`
	} `json:"Entries"`
}

func (b *eventBus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"the local event bus serves PutEvents only"}`)
		return
	}
	var in putEventsInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Entries) == 0 || len(in.Entries) > 10 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"ValidationException","message":"1 to 10 entries of valid JSON are required"}`)
		return
	}
	type result struct {
		EventID      string `json:"EventId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	out := struct {
		FailedEntryCount int      `json:"FailedEntryCount"`
		Entries          []result `json:"Entries"`
	}{}
	for _, e := range in.Entries {
		if e.Source == "" || e.DetailType == "" || !json.Valid([]byte(e.Detail)) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, result{ErrorCode: "MalformedDetail", ErrorMessage: "Source, DetailType and a JSON Detail are required"})
			continue
		}
		at := time.Now().UTC()
		if e.Time != nil {
			at = time.Unix(int64(*e.Time), 0).UTC()
		}
		ev := PublishedEvent{
			Version: "0", ID: newRequestID(), DetailType: e.DetailType, Source: e.Source, Account: "000000000000",
			Time: at, Region: "us-east-1", Resources: e.Resources, Detail: json.RawMessage(e.Detail), Bus: e.EventBusName,
		}
		b.put(ev)
		out.Entries = append(out.Entries, result{EventID: ev.ID})
	}
	json.NewEncoder(w).Encode(out)
}

// put records an event and delivers it to matching rules.
func (b *eventBus) put(ev PublishedEvent) {
	if ev.Resources == nil {
		ev.Resources = []string{}
	}
	b.mu.Lock()
	b.events = append(b.events, ev)
	if len(b.events) > 10000 {
		b.events = slices.Clone(b.events[len(b.events)-10000:])
	}
	b.mu.Unlock()
	b.deliver(ev)
}

// deliver invokes the functions whose catalog rules match, asynchronously,
// as EventBridge does.
func (b *eventBus) deliver(ev PublishedEvent) {
	for _, f := range b.p.cat.Functions {
		for _, rule := range f.Events {
			if rule.Source != ev.Source || (len(rule.DetailType) > 0 && !slices.Contains(rule.DetailType, ev.DetailType)) {
				continue
			}
			go func(f catalog.Function) {
				if err := b.p.invoke(context.Background(), f, ev, nil); err != nil {
					b.p.log.Error("deliver event", "function", f.Name, "detail_type", ev.DetailType, "error", err)
				}
			}(f)
		}
	}
}

// Published returns the events put on the local bus so far.
func (p *Platform) Published() []PublishedEvent {
	p.bus.mu.Lock()
	defer p.bus.mu.Unlock()
	return slices.Clone(p.bus.events)
}
