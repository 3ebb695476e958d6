package dynamo

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/enrich"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// putRecorder is a DynamoDB that only records PutItem, so the tests see
// exactly the items the store writes.
type putRecorder struct {
	API
	items []map[string]types.AttributeValue
}

func (p *putRecorder) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	p.items = append(p.items, in.Item)
	return &dynamodb.PutItemOutput{}, nil
}

// roundTrip is what a value looks like after JSON encoding and decoding:
// what any JSON store can promise to give back.
func roundTrip[T any](t testing.TB, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func diffJSON(t testing.TB, got, want any) string {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	return fmt.Sprintf("got  %s\nwant %s", g, w)
}

// session is what analytics.js posts for one visit: a landing page with UTM
// tags, two more pages, a track with properties, an identify, batched with
// a client clock 2.5 s behind. The site and values are not in the
// dictionaries' training data.
func session(t testing.TB, anon string, at time.Time) []tracking.Message {
	t.Helper()
	client := at.Add(-2500 * time.Millisecond)
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36"
	lib := map[string]any{"name": "analytics.js", "version": "npm:next-1.70.0"}
	meta := map[string]any{"bundled": []any{"Segment.io"}, "unbundled": []any{}, "bundledIds": []any{}}
	var batch []map[string]any
	ref := "https://www.bing.com/"
	pages := []struct{ path, search, title string }{
		{"/spring-sale", "?utm_source=bing&utm_medium=cpc&utm_campaign=garden_tools_q2&utm_term=hedge+trimmer", "Spring sale | Greenleaf Garden Supply"},
		{"/catalog/hedge-trimmers", "", "Hedge trimmers | Greenleaf Garden Supply"},
		{"/pricing", "", "Trade pricing | Greenleaf Garden Supply"},
	}
	for i, pg := range pages {
		client = client.Add(7 * time.Second)
		url := "https://shop.greenleaf-garden.example" + pg.path + pg.search
		page := map[string]any{"path": pg.path, "referrer": ref, "search": pg.search, "title": pg.title, "url": url}
		ctx := map[string]any{"page": page, "userAgent": ua, "locale": "en-GB", "timezone": "Europe/London", "library": lib}
		if i == 0 {
			ctx["campaign"] = map[string]any{"source": "bing", "medium": "cpc", "name": "garden_tools_q2", "term": "hedge trimmer"}
		}
		batch = append(batch, map[string]any{
			"type": "page", "name": strings.SplitN(pg.title, " |", 2)[0], "properties": page, "context": ctx,
			"messageId": fmt.Sprintf("ajs-next-%d-%s-%d", client.UnixMilli(), anon[:8], i), "anonymousId": anon,
			"timestamp": client.Format("2006-01-02T15:04:05.000Z"), "integrations": map[string]any{}, "_metadata": meta,
		})
		ref = url
	}
	ctx := map[string]any{"page": batch[2]["properties"], "userAgent": ua, "locale": "en-GB", "timezone": "Europe/London", "library": lib}
	client = client.Add(4 * time.Second)
	batch = append(batch, map[string]any{
		"type": "track", "event": "Quote Requested", "context": ctx, "anonymousId": anon,
		"properties": map[string]any{"sku": "HT-450", "quantity": 3, "price": 129.5, "options": map[string]any{"blade": "long", "cordless": true}},
		"messageId":  fmt.Sprintf("ajs-next-%d-%s-3", client.UnixMilli(), anon[:8]),
		"timestamp":  client.Format("2006-01-02T15:04:05.000Z"), "integrations": map[string]any{}, "_metadata": meta,
	})
	client = client.Add(9 * time.Second)
	batch = append(batch, map[string]any{
		"type": "identify", "userId": "cust-88213", "context": ctx, "anonymousId": anon,
		"traits":    map[string]any{"email": "r.okafor@hollybank-nurseries.example", "firstName": "Rita", "lastName": "Okafor", "company": "Hollybank Nurseries", "title": "Head of Purchasing"},
		"messageId": fmt.Sprintf("ajs-next-%d-%s-4", client.UnixMilli(), anon[:8]),
		"timestamp": client.Format("2006-01-02T15:04:05.000Z"), "integrations": map[string]any{}, "_metadata": meta,
	})
	body, err := json.Marshal(map[string]any{"batch": batch, "writeKey": "wk_test", "sentAt": client.Add(time.Second).Format("2006-01-02T15:04:05.000Z")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := tracking.Parse(tracking.Request{Body: body, ReceivedAt: at.Add(45 * time.Second), SourceIP: "198.51.100.23"})
	if err != nil {
		t.Fatal(err)
	}
	return p.Messages
}

// formFill is what shared/form writes for a form fill: identify and track,
// timestamp = receivedAt, instructions in context.leadflow.
func formFill(at time.Time) []tracking.Message {
	page := &tracking.Page{URL: "https://shop.greenleaf-garden.example/trade-account", Path: "/trade-account", Title: "Open a trade account"}
	ctx := tracking.Context{IP: "198.51.100.0", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		Library: &tracking.Library{Name: "leadflow-forms"}, Page: page, Campaign: &tracking.Campaign{Source: "bing", Medium: "cpc"}}
	identify := tracking.Message{Type: tracking.TypeIdentify, MessageID: "form:3f9a:identify", AnonymousID: "anon-form",
		Traits: map[string]any{"email": "buyer@example.org", "company": "Example Org"}, Context: ctx, Timestamp: at, ReceivedAt: at}
	track := tracking.Message{Type: tracking.TypeTrack, MessageID: "form:3f9a:track", Event: "Form Submitted", AnonymousID: "anon-form",
		Properties: map[string]any{"form_id": "trade-account", "form_name": "Trade account", "employees": "11-50"}, Context: ctx, Timestamp: at, ReceivedAt: at}
	track.Context.Traits = map[string]any{"email": "buyer@example.org"}
	track.Context.Leadflow = &tracking.Internal{FormID: "trade-account", DoubleOptIn: true, Tags: []string{"trade"}, Lists: []string{"trade-news"},
		Consent: &tracking.Consent{Purpose: "marketing_email", Text: "Send me trade offers.", At: at, Page: page.URL, IP: "198.51.100.0", Source: "form:trade-account"}}
	return []tracking.Message{identify, track}
}

// eventCases are the messages a chunk must give back exactly.
func eventCases(t testing.TB) map[string][]tracking.Message {
	at := time.Date(2026, 11, 24, 9, 30, 0, 123_000_000, time.UTC)
	plus2 := time.FixedZone("", 2*3600)
	page := &tracking.Page{URL: "https://a.example/x?q=1", Path: "/x", Search: "?q=1", Title: "X"}
	pageMsg := func(props map[string]any) tracking.Message {
		return tracking.Message{Type: tracking.TypePage, MessageID: "p", AnonymousID: "a", Properties: props,
			Context: tracking.Context{Page: page}, Timestamp: at, ReceivedAt: at}
	}
	same := map[string]any{"path": "/x", "referrer": "", "search": "?q=1", "title": "X", "url": "https://a.example/x?q=1"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range same {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	noPage := pageMsg(same)
	noPage.Context.Page = nil
	emptyPage := pageMsg(map[string]any{"path": "", "referrer": "", "search": "", "title": "", "url": ""})
	emptyPage.Context.Page = &tracking.Page{}

	skewed := func(ts, orig, sent, recv time.Time) tracking.Message {
		return tracking.Message{Type: tracking.TypeTrack, Event: "E", MessageID: "t", AnonymousID: "a",
			Timestamp: ts, OriginalTimestamp: &orig, SentAt: &sent, ReceivedAt: recv}
	}
	orig, sent := at.Add(-time.Hour), at.Add(-time.Hour+3*time.Second)
	recv := at.Add(500 * time.Millisecond)
	ts := recv.Add(-sent.Sub(orig))

	email := tracking.Message{Type: tracking.TypeTrack, MessageID: "em_1", Event: "Email Link Clicked", ContactID: "c_123",
		Properties: map[string]any{"send_id": "snd_9", "campaign_id": "spring", "url": "https://a.example/?utm_source=newsletter&utm_medium=email", "machine": false},
		Timestamp:  at, ReceivedAt: at}

	return map[string][]tracking.Message{
		"analytics.js session: pages, track with properties, identify": session(t, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", at),
		"internal form fill with context.leadflow":                     formFill(at),
		"internal email event addressed by contact id":                 {email},
		"page properties equal to context.page":                        {pageMsg(same), emptyPage},
		"page properties that are not exactly context.page": {
			pageMsg(with("title", "Y")), pageMsg(with("url", 5)), pageMsg(with("search", nil)),
			pageMsg(with("name", "X")), pageMsg(nil), pageMsg(map[string]any{}), noPage,
		},
		"receivedAt that follows from the client's clock": {skewed(ts, orig, sent, recv)},
		"receivedAt that does not follow": {
			skewed(recv, orig, sent, recv),                                           // clamped by the parser: timestamp = receivedAt
			skewed(ts.In(plus2), orig, sent, recv),                                   // timestamp not in UTC
			skewed(ts, orig, sent, recv.In(plus2)),                                   // receivedAt not in UTC
			skewed(ts, orig.In(plus2), sent, recv),                                   // client times in their own zone still derive
			skewed(at, time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), at), // Sub overflows
			{Type: tracking.TypeTrack, Event: "E", MessageID: "z", AnonymousID: "a"}, // zero times
			{Type: tracking.TypeTrack, Event: "E", MessageID: "n", AnonymousID: "a", Timestamp: at, ReceivedAt: at.Add(time.Nanosecond)},
			{Type: tracking.TypeTrack, Event: "E", MessageID: "m", AnonymousID: "a", Timestamp: time.Now(), ReceivedAt: time.Now()}, // monotonic, Local
			{Type: tracking.TypeTrack, Event: "E", MessageID: "s", AnonymousID: "a", Timestamp: at, SentAt: &sent, ReceivedAt: at},
		},
		"text that JSON escapes": {{
			Type: tracking.TypeTrack, Event: "Say <b>\"hi\"</b> & \u2028 🌱", MessageID: "u", UserID: "ü",
			Properties: map[string]any{"k": "\\n\x00", "nested": map[string]any{"list": []any{1.5, "x", nil, true}}},
			Context:    tracking.Context{Extra: map[string]any{"userAgentData": map[string]any{"mobile": false}}, Location: &tracking.Location{Country: "GB"}},
			Timestamp:  at, ReceivedAt: at,
		}},
	}
}

// putEvents writes msgs through the store and returns the chunk items.
func putEvents(t testing.TB, msgs []tracking.Message, changes []scoring.Change) []map[string]types.AttributeValue {
	t.Helper()
	db := &putRecorder{}
	if err := New(db, "t").PutEvents(context.Background(), "c_1", contact.Commit{}, msgs, changes); err != nil {
		t.Fatal(err)
	}
	return db.items
}

func TestEventsRoundTrip(t *testing.T) {
	for name, msgs := range eventCases(t) {
		t.Run(name, func(t *testing.T) {
			items := putEvents(t, msgs, nil)
			if len(items) != 1 {
				t.Fatalf("%d items, want 1 chunk", len(items))
			}
			z := bin(items[0], "z")
			if z[0] != formatDictV1 {
				t.Fatalf("chunk written in format %#x, want %#x", z[0], formatDictV1)
			}
			got, err := decodeChunk(z)
			if err != nil {
				t.Fatal(err)
			}
			if want := roundTrip(t, msgs); !reflect.DeepEqual(got, want) {
				t.Fatalf("events changed in the store:\n%s", diffJSON(t, got, want))
			}
		})
	}
}

// TestEventsRoundTripRandom mixes times, zones and properties at random:
// every combination either drops a field and rebuilds it exactly, or keeps it.
func TestEventsRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 0), time.FixedZone("", -5*3600), time.FixedZone("X", 1800)}
	tm := func() time.Time {
		t := time.Date(2020+r.IntN(10), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), time.UTC)
		if r.IntN(3) == 0 {
			t = t.Truncate(time.Millisecond)
		}
		return t.In(zones[r.IntN(len(zones))])
	}
	var msgs []tracking.Message
	for i := range 300 {
		m := tracking.Message{Type: tracking.TypePage, MessageID: fmt.Sprint("m", i), AnonymousID: "a"}
		recv := tm()
		m.ReceivedAt = recv
		switch r.IntN(4) {
		case 0: // the parser with sentAt and originalTimestamp
			o, s := tm(), tm()
			m.OriginalTimestamp, m.SentAt = &o, &s
			m.Timestamp = recv.Add(-s.Sub(o))
		case 1: // an internal producer
			m.Timestamp = recv
		case 2: // the parser with originalTimestamp only
			o := tm()
			m.OriginalTimestamp, m.Timestamp = &o, o.UTC()
		default:
			m.Timestamp = tm()
		}
		if r.IntN(2) == 0 {
			m.Context.Page = &tracking.Page{Path: "/p", URL: "https://x.example/p", Title: fmt.Sprint(r.IntN(3))}
			m.Properties = pageProps(m.Context.Page)
			if r.IntN(3) == 0 {
				m.Properties["title"] = "other"
			}
		}
		msgs = append(msgs, m)
	}
	got, err := decodeChunk(bin(putEvents(t, msgs, nil)[0], "z"))
	if err != nil {
		t.Fatal(err)
	}
	want := roundTrip(t, msgs)
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("event %d changed in the store:\n%s", i, diffJSON(t, got[i], want[i]))
		}
	}
}

// TestScoreChangesStayReadable: sc is still gzip, which ScoreHistory reads.
func TestScoreChangesStayReadable(t *testing.T) {
	msgs := session(t, "0b9f6c1e-7a5d-4e2b-8f3a-1c9d2e4f6a7b", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	changes := []scoring.Change{
		{MessageID: msgs[2].MessageID, RuleID: "pricing-page", Kind: "engagement", Points: 10, At: msgs[2].Timestamp},
		{MessageID: msgs[4].MessageID, RuleID: "senior-title", Kind: "fit", Points: 20, Capped: true, At: msgs[4].Timestamp},
	}
	items := putEvents(t, msgs, changes)
	var got []scoring.Change
	if err := decodeGzipJSON(bin(items[0], "sc"), &got); err != nil {
		t.Fatal(err)
	}
	if want := roundTrip(t, changes); !reflect.DeepEqual(got, want) {
		t.Fatalf("score changes:\n%s", diffJSON(t, got, want))
	}
}

func bigProfile(at time.Time) *contact.Profile {
	p := &contact.Profile{
		ID: "c_0f3e9a", SiteKey: "wk_test", Email: "r.okafor@hollybank-nurseries.example", UserID: "cust-88213",
		Traits:    map[string]any{"email": "r.okafor@hollybank-nurseries.example", "firstName": "Rita", "lastName": "Okafor", "company": "Hollybank Nurseries", "title": "Head of Purchasing", "phone": "+44 20 7946 0000", "employees": 42.0, "newsletter": true},
		FirstSeen: at.Add(-90 * 24 * time.Hour), LastSeen: at, PageViews: 131, EventCount: 402, Sessions: 37,
		LastPage:   &contact.Page{URL: "https://shop.greenleaf-garden.example/pricing", Title: "Trade pricing", Path: "/pricing", At: at},
		FirstTouch: &contact.Touch{Source: "bing", Medium: "cpc", Name: "garden_tools_q2", Term: "hedge trimmer", Referrer: "https://www.bing.com/", Landing: "https://shop.greenleaf-garden.example/spring-sale?utm_source=bing&utm_medium=cpc", At: at.Add(-90 * 24 * time.Hour)},
		LastTouch:  &contact.Touch{Source: "newsletter", Medium: "email", Name: "autumn", At: at},
		Interests:  map[string]int{"pricing": 9, "docs": 3, "careers": 1},
		Company:    &enrich.Company{Domain: "hollybank-nurseries.example", EmailType: "corporate"},
		Device:     &enrich.Device{Type: "desktop", OS: "Windows", Browser: "Chrome"},
		Location:   &tracking.Location{Country: "GB", Region: "ENG", City: "Leeds"},
		Timezone:   "Europe/London", Status: "subscribed",
		Consents: []tracking.Consent{{Purpose: "marketing_email", Text: "Send me trade offers.", At: at, Page: "https://shop.greenleaf-garden.example/trade-account", IP: "198.51.100.0", Source: "form:trade-account"}},
		Tags:     []string{"trade", "vip"}, Lists: []string{"trade-news"},
		TraitTimes: map[string]time.Time{"email": at, "firstName": at, "lastName": at, "company": at, "title": at, "phone": at},
		Score: scoring.State{ModelVersion: "8f03feb7dd476c04", Fit: 35, FitBreakdown: map[string]int{"senior-title": 20, "corporate-email": 15},
			Engagement: 41.25, AsOf: at, ByRule: map[string]float64{"pricing-page": 20, "docs-view": 9.25, "form-submitted": 12},
			Caps: map[string]scoring.CapWindow{"pricing-page": {Start: at.Truncate(24 * time.Hour), Points: 20}}},
		Stage: "mql",
		StageHistory: []scoring.StageChange{
			{From: "", To: "lead", At: at.Add(-80 * 24 * time.Hour), Reason: "email exists", By: "rule:lead"},
			{From: "lead", To: "mql", At: at, Reason: "Known and engaged: total 76 >= 50", By: "rule:lead-score"},
		},
		Owner: "owner-7", Team: "uk-trade", RoutedID: "q_77", CreatedAt: at.Add(-90 * 24 * time.Hour), UpdatedAt: at,
		UnsubscribedTopics: []string{"product-news"},
		Version:            4, Applied: []uint64{1, 2, 3, 1 << 63},
	}
	for i := range 12 {
		p.AnonymousIDs = append(p.AnonymousIDs, fmt.Sprintf("%08x-7a5d-4e2b-8f3a-1c9d2e4f6a7b", i*7919))
		p.MergedIDs = append(p.MergedIDs, fmt.Sprintf("c_%08x", i*104729))
	}
	return p
}

func TestProfileRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 30, 0, 123_456_789, time.UTC)
	cases := map[string]*contact.Profile{
		"big profile":            bigProfile(at),
		"new anonymous visitor":  {ID: "c_1", AnonymousIDs: []string{"6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41"}, FirstSeen: at, LastSeen: at, PageViews: 1, EventCount: 1, Sessions: 1, CreatedAt: at, UpdatedAt: at, Applied: []uint64{42, 7}, AppliedKeys: []uint32{1764000000, 0}, AppliedHorizon: 1763990000, LastCommit: 1<<63 | 5},
		"tombstone of a merge":   {ID: "c_2", MergedInto: "c_1", Version: 1},
		"profile with no window": {ID: "c_3", Email: "x@example.org", Traits: map[string]any{"email": "x@example.org"}, Version: 2},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			want := roundTrip(t, p)
			want.Version, want.Applied = p.Version+1, p.Applied
			want.AppliedKeys, want.AppliedHorizon, want.LastCommit = p.AppliedKeys, p.AppliedHorizon, p.LastCommit
			db := &putRecorder{}
			if err := New(db, "t").SaveProfile(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			it := db.items[0]
			if z := bin(it, "dz"); len(z) == 0 || z[0] != formatDictV1 {
				t.Fatalf("stored as d=%q dz=%x; want the dictionary format", str(it, "d"), z)
			}
			got, err := decodeProfile(it)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("profile changed in the store:\n%s", diffJSON(t, got, want))
			}
		})
	}
}

// TestOldItemsDecode: items written before dictionaries (gzip z and dz,
// plain d) read as they always did.
func TestOldItemsDecode(t *testing.T) {
	msgs := session(t, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	parts := [][]byte{[]byte("[")}
	for i, m := range msgs {
		b, err := json.Marshal(m) // what PutEvents stored before
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			parts = append(parts, []byte(","))
		}
		parts = append(parts, b)
	}
	z, err := gzipJSON(append(parts, []byte("]"))...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeChunk(z)
	if err != nil {
		t.Fatal(err)
	}
	if want := roundTrip(t, msgs); !reflect.DeepEqual(got, want) {
		t.Fatalf("old chunk:\n%s", diffJSON(t, got, want))
	}

	p := bigProfile(time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC))
	d, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzipJSON(d)
	if err != nil {
		t.Fatal(err)
	}
	want := roundTrip(t, p)
	want.Version, want.Applied = 5, nil
	for name, it := range map[string]map[string]types.AttributeValue{
		"gzip dz": {attrPK: s("C#" + p.ID), "v": n(5), "dz": &types.AttributeValueMemberB{Value: gz}},
		"plain d": {attrPK: s("C#" + p.ID), "v": n(5), "d": s(string(d))},
	} {
		got, err := decodeProfile(it)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n%s", name, diffJSON(t, got, want))
		}
	}
}

// goldenChunkV1 was written by this package on 2026-11-24 (two events of
// session(...), the first with its receivedAt and page properties left
// out). If it stops decoding, a dictionary or the v1 format changed, and
// every item written with it would be lost: add a new format instead.
const goldenChunkV1 = "" +
	"01ec99c16e83300c865f85fb146687a440a59dbb7b779ba62a40a095a0306087497bf8a96125811404aa26edb0732da7" +
	"46f97edb7f5e97c5f921e70801300e403629c6340a25010b72fd53c22461912f48187b92d034107eb28978cc8cdd755f" +
	"d5cace12b95cf2419a6359b9d965c6caa5484926ea449eaf7bd463a39229e535f18b4ee7cc824f5b5166a7e8121edab2" +
	"cc9bc33bd511adac8ba7a34c32f9d0d6a7a250cad34f42ba08e7cbd95dff9eb353d99cfd4755e59f36128d6d0b6b1b4e" +
	"9732a52abf54d694e646dd48797bb71b1da0661a254b2ab763e49ec462a6bfac25183d36df000297a38b0096eef46f20" +
	"c3d1cd7c2d590e62af203ef4d6c148e01109652f106e01b6e8cff602331498cbc74a3d8cf06817b1560d7e28471c508e" +
	"7752fe6cde82e67ed063d18acb3ea46e1731f2f66be4e0c0b550fe2d95d106e1cda2ff999a0185b2c54c21ae66eaed3b" +
	"0000ffff"

func TestGoldenChunkV1(t *testing.T) {
	z, err := hex.DecodeString(goldenChunkV1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeChunk(z)
	if err != nil {
		t.Fatal(err)
	}
	want := roundTrip(t, session(t, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))[:2])
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("golden v1 chunk:\n%s", diffJSON(t, got, want))
	}
}

func TestDictionariesNeverChange(t *testing.T) {
	for name, c := range map[string]struct {
		dict, sum string
	}{
		"events v1":  {eventsDictV1, "58987c7ce3d5f5237056d1b172b34e18edd63f1c52bde156b513aa804f4b706c"},
		"profile v1": {profileDictV1, "6e0dec4b822e657723ca6c080be8b008df1656b6b76e6f202a826b867245e361"},
	} {
		if sum := sha256.Sum256([]byte(c.dict)); hex.EncodeToString(sum[:]) != c.sum {
			t.Errorf("the %s dictionary changed: items written with it no longer decode. Restore it and add a new format byte for a new dictionary.", name)
		}
	}
	if total := len(eventsDictV1) + len(profileDictV1); total > 8<<10 {
		t.Errorf("dictionaries are %d bytes together, over 8 KB", total)
	}
}

func TestCorruptValues(t *testing.T) {
	good, err := eventsV1.compress([]byte(`[{"type":"page","messageId":"x","pp":true,"context":{}}]`))
	if err != nil {
		t.Fatal(err)
	}
	for name, z := range map[string][]byte{
		"empty":                          nil,
		"unknown format":                 {0x02, 0x00},
		"truncated":                      good[:len(good)/2],
		"page properties without a page": good,
		"gzip magic, not gzip":           {0x1f, 0x00, 0x01},
	} {
		if _, err := decodeChunk(z); err == nil {
			t.Errorf("%s: decoded without an error", name)
		}
	}
}

// itemBytes is DynamoDB's item size: attribute names plus values.
func itemBytes(it map[string]types.AttributeValue) int {
	size := 0
	for k, v := range it {
		size += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			size += len(v.Value)
		case *types.AttributeValueMemberB:
			size += len(v.Value)
		case *types.AttributeValueMemberN:
			size += len(v.Value)
		}
	}
	return size
}

// TestOneWriteUnit: a realistic chunk of five events with its score
// changes, and an identified, scored profile, each fit one write unit.
func TestOneWriteUnit(t *testing.T) {
	msgs := session(t, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	var changes []scoring.Change
	for _, m := range msgs[:3] {
		changes = append(changes, scoring.Change{MessageID: m.MessageID, RuleID: "pricing-page", Kind: "engagement", Points: 10, At: m.Timestamp})
	}
	chunk := putEvents(t, msgs, changes)[0]
	p := bigProfile(time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC))
	p.AnonymousIDs, p.MergedIDs = p.AnonymousIDs[:2], nil // big but not extreme
	db := &putRecorder{}
	if err := New(db, "t").SaveProfile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	for name, it := range map[string]map[string]types.AttributeValue{"chunk": chunk, "profile": db.items[0]} {
		if size := itemBytes(it); size > 1024 {
			t.Errorf("%s item is %d bytes: 2 write units", name, size)
		} else {
			t.Logf("%s item: %d bytes", name, size)
		}
	}
}

// BenchmarkChunkEncoding compares the stored size and CPU of a realistic
// five-event chunk (session) before (gzip of the messages' JSON) and after
// (dictionary format): B/event is the z attribute's size per event.
func BenchmarkChunkEncoding(b *testing.B) {
	msgs := session(b, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	join := func(marshal func(tracking.Message) ([]byte, error)) [][]byte {
		parts := [][]byte{[]byte("[")}
		for i, m := range msgs {
			raw, err := marshal(m)
			if err != nil {
				b.Fatal(err)
			}
			if i > 0 {
				parts = append(parts, []byte(","))
			}
			parts = append(parts, raw)
		}
		return append(parts, []byte("]"))
	}
	plain := func(m tracking.Message) ([]byte, error) { return json.Marshal(m) }
	level6 := newCodec(formatDictV1, eventsDictV1, flate.DefaultCompression)
	encoders := []struct {
		name   string
		encode func() ([]byte, error)
	}{
		{"gzip-before", func() ([]byte, error) { return gzipJSON(join(plain)...) }},
		{"dict-v1-level6", func() ([]byte, error) { return level6.compress(join(marshalEvent)...) }},
		{"dict-v1", func() ([]byte, error) { return eventsV1.compress(join(marshalEvent)...) }},
	}
	for _, e := range encoders {
		b.Run("encode/"+e.name, func(b *testing.B) {
			var z []byte
			for b.Loop() {
				var err error
				if z, err = e.encode(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(z))/float64(len(msgs)), "B/event")
			b.ReportMetric(float64(len(z)), "B/chunk")
		})
		z, err := e.encode()
		if err != nil {
			b.Fatal(err)
		}
		b.Run("decode/"+e.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := decodeChunk(z); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProfileEncoding: the stored size of a large profile before
// (gzip) and after (dictionary format).
func BenchmarkProfileEncoding(b *testing.B) {
	d, err := json.Marshal(bigProfile(time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)))
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range []struct {
		name   string
		encode func([]byte) ([]byte, error)
	}{
		{"gzip-before", func(d []byte) ([]byte, error) { return gzipJSON(d) }},
		{"dict-v1", func(d []byte) ([]byte, error) { return profileV1.compress(d) }},
	} {
		b.Run(e.name, func(b *testing.B) {
			var z []byte
			for b.Loop() {
				if z, err = e.encode(d); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(z)), "B/profile")
			b.ReportMetric(float64(len(d)), "B/json")
		})
	}
}

// TestLeavesOutWhatFollows: an analytics.js session is stored without its
// receivedAt and page properties (the round-trip tests prove they come back).
func TestLeavesOutWhatFollows(t *testing.T) {
	msgs := session(t, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	raw, err := inflate(eventCodecs, bin(putEvents(t, msgs, nil)[0], "z"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(raw, []byte(`"receivedAt"`)); n != 0 {
		t.Errorf("%d receivedAt stored, want 0", n)
	}
	if n := bytes.Count(raw, []byte(`"pp":true`)); n != 3 {
		t.Errorf("%d page properties left out, want 3 (every page)", n)
	}
}
