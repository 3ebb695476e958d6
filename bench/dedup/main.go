// Command dedup measures de-duplication (issue 8.5) on DynamoDB Local: how
// many late retries are counted twice, and what the processor's DynamoDB
// traffic costs per event in the normal path and per late retry.
//
//	go run ./bench/dedup [-later 1000] [-batch 20] [-visitors 100]
//
// It runs the real contact.Processor on the real DynamoDB adapter (no
// ingest, no SQS: their cost does not change with de-duplication). Every
// request the adapter makes is counted with the capacity DynamoDB Local
// reports, and the bytes of every item written or read. Events are parsed
// by tracking.Parse from analytics.js-shaped JSON, as ingest does.
//
// Workloads, each on a fresh table:
//   - ordinary visitors: -visitors visitors with 8 page views each, in
//     requests of 4 (the window never overflows: de-duplication is free);
//   - one heavy contact: 1 event, then -later events in requests of -batch
//     (one queue batch each), then late retries of the first event, of a
//     request from the middle, and of the first event beside a new one.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/tracking"
)

// List prices (bench/prices.json): on-demand DynamoDB, us-east-1.
const (
	usdPerWRU = 0.625 / 1e6
	usdPerRRU = 0.125 / 1e6
)

func main() {
	later := flag.Int("later", 1000, "events after the first one, for the heavy contact")
	batch := flag.Int("batch", 20, "events per request (one queue batch each)")
	visitors := flag.Int("visitors", 100, "ordinary visitors")
	flag.Parse()
	if err := run(*later, *batch, *visitors); err != nil {
		fmt.Fprintln(os.Stderr, "dedup bench:", err)
		os.Exit(1)
	}
}

func run(later, batch, visitors int) error {
	ctx := context.Background()
	root, err := localaws.RepoRoot()
	if err != nil {
		return err
	}
	proc, err := localaws.StartDynamoDB(ctx, localaws.Options{Root: root})
	if err != nil {
		return err
	}
	defer proc.Stop()
	cfg, err := localaws.AWSConfig(ctx, proc.Endpoint)
	if err != nil {
		return err
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	db := &meter{Client: client}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	base := time.Now().UTC().Add(-3 * 24 * time.Hour).Truncate(time.Second)
	table := 0
	fresh := func() (*contact.Processor, error) {
		table++
		name := fmt.Sprintf("dedup-bench-%d", table)
		if err := dynamo.CreateTable(ctx, client, name); err != nil {
			return nil, err
		}
		return contact.NewProcessor(dynamo.New(db, name), log, nil), nil
	}
	send := func(p *contact.Processor, anon string, ids []int, received time.Time) error {
		msgs, err := parse(anon, base, ids, received)
		if err != nil {
			return err
		}
		out, err := p.Process(ctx, []contact.Input{{ID: fmt.Sprint("in-", ids[0]), Batch: tracking.Batch{Messages: msgs}}})
		if err != nil || len(out.Failed) > 0 {
			return fmt.Errorf("process: %v %+v", err, out)
		}
		return nil
	}

	// Ordinary visitors.
	p, err := fresh()
	if err != nil {
		return err
	}
	db.reset()
	for v := 0; v < visitors; v++ {
		anon := fmt.Sprintf("visitor-%04d", v)
		for i := 0; i < 8; i += 4 {
			if err := send(p, anon, span(i, i+4), base.Add(time.Duration(i+4)*time.Second)); err != nil {
				return err
			}
		}
	}
	db.print(fmt.Sprintf("ordinary visitors: %d x 8 events in requests of 4", visitors), 8*visitors)

	// One heavy contact.
	if p, err = fresh(); err != nil {
		return err
	}
	db.reset()
	if err := send(p, "heavy", []int{0}, base.Add(time.Second)); err != nil {
		return err
	}
	for i := 1; i <= later; i += batch {
		if err := send(p, "heavy", span(i, min(i+batch, later+1)), base.Add(time.Duration(i+batch)*time.Second)); err != nil {
			return err
		}
	}
	db.print(fmt.Sprintf("heavy contact: 1 + %d events in requests of %d", later, batch), later+1)

	retry := base.Add(48 * time.Hour)
	mid := span(later/2, later/2+batch)
	cases := []struct {
		what string
		ids  []int
		add  int // new events in the request
	}{
		{"first event again, alone", []int{0}, 0},
		{fmt.Sprintf("request of %d from the middle again", len(mid)), mid, 0},
		{"first event again, beside a new one", []int{0, later + 1}, 1},
	}
	want := later + 1
	for _, c := range cases {
		db.reset()
		if err := send(p, "heavy", c.ids, retry); err != nil {
			return err
		}
		want += c.add
		views, err := pageViews(ctx, client, fmt.Sprintf("dedup-bench-%d", table), contact.AnonymousContactID("heavy"))
		if err != nil {
			return err
		}
		db.print(fmt.Sprintf("late retry (2 days on): %s", c.what), len(c.ids))
		fmt.Printf("   page views %d, want %d: %d counted twice so far\n", views, want, views-want)
	}
	return nil
}

func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// parse builds the request a browser sends and parses it as ingest does.
func parse(anon string, base time.Time, ids []int, received time.Time) ([]tracking.Message, error) {
	var b strings.Builder
	b.WriteString(`{"batch":[`)
	for n, i := range ids {
		if n > 0 {
			b.WriteByte(',')
		}
		at := base.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000Z")
		path := []string{"/", "/pricing", "/docs/getting-started", "/blog/lead-scoring-guide", "/features/automation"}[i%5]
		fmt.Fprintf(&b, `{"type":"page","name":"Page %d","messageId":"ajs-next-%s-%d","anonymousId":%q,"timestamp":%q,`+
			`"properties":{"path":%q,"url":"https://www.acme-widgets.test%s","title":"Acme Widgets","referrer":"https://www.google.com/","search":""},`+
			`"context":{"page":{"path":%q,"url":"https://www.acme-widgets.test%s","title":"Acme Widgets","referrer":"https://www.google.com/","search":""},`+
			`"userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",`+
			`"locale":"en-US","timezone":"Europe/London","library":{"name":"analytics.js","version":"npm:next-1.70.0"}}}`,
			i, anon, i, anon, at, path, path, path, path)
	}
	fmt.Fprintf(&b, `],"sentAt":%q}`, received.Format("2006-01-02T15:04:05.000Z"))
	parsed, err := tracking.Parse(tracking.Request{Body: []byte(b.String()), ReceivedAt: received, SourceIP: "203.0.113.9"})
	if err != nil {
		return nil, err
	}
	return parsed.Messages, nil
}

func pageViews(ctx context.Context, db *dynamodb.Client, table, id string) (int, error) {
	st := dynamo.New(db, table)
	got, err := st.GetProfiles(ctx, []string{id})
	if err != nil {
		return 0, err
	}
	if got[id] == nil {
		return 0, fmt.Errorf("no profile %s", id)
	}
	return got[id].PageViews, nil
}

// meter counts the adapter's DynamoDB requests, consumed capacity and bytes.
type meter struct {
	*dynamodb.Client
	calls              map[string]int
	wru, rru           float64
	written, readBytes int64
}

func (m *meter) reset() {
	m.calls, m.wru, m.rru, m.written, m.readBytes = map[string]int{}, 0, 0, 0, 0
}

func (m *meter) cap(op string, cc ...types.ConsumedCapacity) {
	m.calls[op]++
	for _, c := range cc {
		if c.WriteCapacityUnits != nil {
			m.wru += *c.WriteCapacityUnits
		}
		if c.ReadCapacityUnits != nil {
			m.rru += *c.ReadCapacityUnits
		}
		if c.WriteCapacityUnits == nil && c.ReadCapacityUnits == nil && c.CapacityUnits != nil {
			if op == "PutItem" || op == "UpdateItem" || op == "DeleteItem" || op == "BatchWriteItem" {
				m.wru += *c.CapacityUnits
			} else {
				m.rru += *c.CapacityUnits
			}
		}
	}
}

func (m *meter) print(what string, events int) {
	e := float64(events)
	var ops []string
	for k, v := range m.calls {
		ops = append(ops, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(ops)
	fmt.Printf("\n== %s\n   requests: %s\n", what, strings.Join(ops, ", "))
	fmt.Printf("   per event: %.3f WRU, %.3f RRU, %.0f B written, %.0f B read; $%.4f per million events (DynamoDB only)\n",
		m.wru/e, m.rru/e, float64(m.written)/e, float64(m.readBytes)/e, (m.wru*usdPerWRU+m.rru*usdPerRRU)/e*1e6)
}

func size(item map[string]types.AttributeValue) int64 {
	var n int64
	for k, v := range item {
		n += int64(len(k))
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += int64(len(v.Value))
		case *types.AttributeValueMemberB:
			n += int64(len(v.Value))
		case *types.AttributeValueMemberN:
			n += int64(len(v.Value))/2 + 1
		default:
			raw, _ := json.Marshal(v)
			n += int64(len(raw))
		}
	}
	return n
}

func (m *meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := m.Client.PutItem(ctx, in, o...)
	m.written += size(in.Item)
	if err == nil && out.ConsumedCapacity != nil {
		m.cap("PutItem", *out.ConsumedCapacity)
	} else {
		m.cap("PutItem")
	}
	return out, err
}

func (m *meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := m.Client.GetItem(ctx, in, o...)
	if err == nil {
		m.readBytes += size(out.Item)
		if out.ConsumedCapacity != nil {
			m.cap("GetItem", *out.ConsumedCapacity)
			return out, err
		}
	}
	m.cap("GetItem")
	return out, err
}

func (m *meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out, err := m.Client.BatchGetItem(ctx, in, o...)
	if err != nil {
		m.cap("BatchGetItem")
		return out, err
	}
	for _, items := range out.Responses {
		for _, it := range items {
			m.readBytes += size(it)
		}
	}
	m.cap("BatchGetItem", out.ConsumedCapacity...)
	return out, err
}

func (m *meter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := m.Client.Query(ctx, in, o...)
	if err != nil {
		m.cap("Query")
		return out, err
	}
	for _, it := range out.Items {
		m.readBytes += size(it)
	}
	if out.ConsumedCapacity != nil {
		m.cap("Query", *out.ConsumedCapacity)
	} else {
		m.cap("Query")
	}
	return out, err
}
