package dynamo

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Compressed attributes: timeline events (z), score changes (sc) and
// profiles (dz).
//
// DynamoDB bills a write by the item's size in 1 KB steps. A chunk or profile
// is a few KB of JSON whose field names, user agents and URL shapes repeat
// from item to item, while gzip starts each item from nothing: compressing
// against a preset dictionary of that common text (DEFLATE's own feature)
// halves the stored bytes and brings most items under one write unit.
//
// The first byte of the binary value says how to read the rest:
//
//	0x1f  gzip (0x1f 0x8b is gzip's magic): everything written before
//	      dictionaries, and score changes (see putChunk)
//	0x01  formatDictV1: raw DEFLATE (RFC 1951) with the v1 dictionary of the
//	      attribute's kind (eventsDictV1 for z, and for sc once it moves;
//	      profileDictV1 for dz)
//	0x02  formatJointV1, dz only: a profile with its recent events
//	      (contact.Profile.Recent, see CommitEvents in contacts.go), raw
//	      DEFLATE with eventsDictV1 followed by profileDictV1 as its
//	      dictionary, of three lines: the profile JSON, the events as a
//	      chunk stores them, and their score changes' JSON (empty if none).
//	      encoding/json never writes a raw newline, so the lines split
//	      exactly. One stream, because the events and the profile repeat
//	      each other (pages, referrers, device): ~140 B less than two.
//
// A dictionary is part of the stored data: changing one byte of it corrupts
// every item written with it. A better dictionary is a new format byte beside
// the old one, which stays readable for as long as items written with it may
// exist (forever, with no event TTL). TestDictionariesNeverChange pins them.
const (
	formatGzip    byte = 0x1f
	formatDictV1  byte = 0x01
	formatJointV1 byte = 0x02
)

// compressLevel: on a five-event chunk BestCompression takes the same
// ~50 µs as the default level (most of it JSON encoding) and is at times a
// byte or two smaller (BenchmarkChunkEncoding).
const compressLevel = flate.BestCompression

// maxInflated bounds what one attribute may inflate to (a corrupt or hostile
// value must not take the function's memory); items are at most 400 KB and
// a chunk's JSON at most maxChunkRaw.
const maxInflated = 4 << 20

// codec compresses with one dictionary. Writers and readers are pooled: a
// flate writer is ~1 MB of tables, far more than the data it compresses.
type codec struct {
	format byte
	// dict is the dictionary's bytes, copied from its constant on first
	// use: the three codecs' ~16 KB are not allocated and copied at every
	// cold start of every function that links this package (most never
	// compress).
	dict    func() []byte
	level   int
	writers sync.Pool
	readers sync.Pool
}

func newCodec(format byte, dict string, level int) *codec {
	c := &codec{format: format, dict: sync.OnceValue(func() []byte { return []byte(dict) }), level: level}
	c.writers.New = func() any {
		w, err := flate.NewWriterDict(io.Discard, c.level, c.dict())
		if err != nil {
			panic(err) // only for an invalid level
		}
		return w
	}
	return c
}

var (
	eventsV1  = newCodec(formatDictV1, eventsDictV1, compressLevel)
	profileV1 = newCodec(formatDictV1, profileDictV1, compressLevel)
	// CommitEvents compresses a profile with kept events several times to
	// find what fits; on these ~5 KB streams with an 8 KB dictionary the
	// default level is 3x faster than BestCompression and as small.
	jointV1 = newCodec(formatJointV1, eventsDictV1+profileDictV1, flate.DefaultCompression)
	// eventCodecs and profileCodecs are what a reader understands, by
	// format byte; gzip is handled before them.
	eventCodecs   = map[byte]*codec{formatDictV1: eventsV1}
	profileCodecs = map[byte]*codec{formatDictV1: profileV1, formatJointV1: jointV1}
)

// compress returns the format byte and the DEFLATE stream of the
// concatenated parts.
func (c *codec) compress(parts ...[]byte) ([]byte, error) {
	buf := bytes.NewBuffer([]byte{c.format})
	w := c.writers.Get().(*flate.Writer)
	defer c.writers.Put(w)
	w.Reset(buf)
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return nil, fmt.Errorf("compress: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	return buf.Bytes(), nil
}

// decompress reads a DEFLATE stream written by compress (format byte
// already removed).
func (c *codec) decompress(z []byte) ([]byte, error) {
	var r io.ReadCloser
	if x := c.readers.Get(); x != nil {
		r = x.(io.ReadCloser)
		if err := r.(flate.Resetter).Reset(bytes.NewReader(z), c.dict()); err != nil {
			return nil, err
		}
	} else {
		r = flate.NewReaderDict(bytes.NewReader(z), c.dict())
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	if err != nil {
		return nil, err
	}
	c.readers.Put(r)
	if len(raw) > maxInflated {
		return nil, fmt.Errorf("inflates to more than %d bytes", maxInflated)
	}
	return raw, nil
}

// inflate returns the stored bytes of a compressed attribute of any format
// this package has written.
func inflate(codecs map[byte]*codec, z []byte) ([]byte, error) {
	if len(z) == 0 {
		return nil, errors.New("empty compressed value")
	}
	if z[0] == formatGzip {
		return gunzip(z)
	}
	c := codecs[z[0]]
	if c == nil {
		return nil, fmt.Errorf("unknown compression format %#x (written by a newer version?)", z[0])
	}
	return c.decompress(z[1:])
}

// storedEvent is a tracking.Message as a dictionary-format chunk stores it:
// the message's JSON less what can be rebuilt exactly on read. The two
// shadowing fields replace the message's own in the JSON (the shallower
// field wins); tracking.Message must not get a MarshalJSON or UnmarshalJSON
// method, which would be promoted and bypass them (the round-trip tests
// would fail).
type storedEvent struct {
	tracking.Message
	// Properties is left out, with PageProps set, when it is exactly the
	// five fields analytics.js copies from context.page into every page
	// call: ~9 B per event after compression.
	Properties map[string]any `json:"properties,omitempty"`
	// ReceivedAt is left out when it follows from the other times (see
	// receivedAtFrom): analytics.js events (they carry sentAt) and internal
	// ones.
	ReceivedAt *time.Time `json:"receivedAt,omitempty"`
	PageProps  bool       `json:"pp,omitempty"`
}

// marshalEvent is the JSON of one event in a dictionary-format chunk.
func marshalEvent(m tracking.Message) ([]byte, error) {
	se := storedEvent{Message: m, Properties: m.Properties}
	if propsArePage(&m) {
		se.Properties, se.PageProps = nil, true
	}
	if !receivedAtFollows(&m) {
		r := m.ReceivedAt
		se.ReceivedAt = &r
	}
	return json.Marshal(se)
}

// pageProps are the properties analytics.js sends with a page call: the
// page's fields, empty ones included.
func pageProps(p *tracking.Page) map[string]any {
	return map[string]any{"path": p.Path, "referrer": p.Referrer, "search": p.Search, "title": p.Title, "url": p.URL}
}

// propsArePage reports whether pageProps(context.page) rebuilds the
// message's properties exactly: the same five keys, all strings.
func propsArePage(m *tracking.Message) bool {
	p := m.Context.Page
	if p == nil || len(m.Properties) != 5 {
		return false
	}
	for k, v := range pageProps(p) {
		if s, ok := m.Properties[k].(string); !ok || s != v {
			return false
		}
	}
	return true
}

// receivedAtFrom inverts tracking's clock-skew correction, timestamp =
// receivedAt - (sentAt - originalTimestamp); without both client times the
// parser (and every internal producer) sets timestamp = receivedAt.
func receivedAtFrom(m *tracking.Message) time.Time {
	if m.SentAt != nil && m.OriginalTimestamp != nil {
		return m.Timestamp.Add(m.SentAt.Sub(*m.OriginalTimestamp))
	}
	return m.Timestamp
}

// receivedAtFollows reports whether reading the event without receivedAt
// gives back exactly the value a JSON round trip would: the same instant,
// and UTC on both sides (a time with another offset decodes to a zone of
// its own, which the derived time would not carry). Timestamps the parser
// clamped, and arithmetic that overflows, fail the comparison and keep
// their receivedAt.
func receivedAtFollows(m *tracking.Message) bool {
	_, tsOff := m.Timestamp.Zone()
	_, rOff := m.ReceivedAt.Zone()
	return tsOff == 0 && rOff == 0 && receivedAtFrom(m).Equal(m.ReceivedAt)
}

// decodeChunk reads a timeline chunk's z attribute in any format.
func decodeChunk(z []byte) ([]tracking.Message, error) {
	raw, err := inflate(eventCodecs, z)
	if err != nil {
		return nil, err
	}
	var msgs []tracking.Message
	if z[0] == formatGzip {
		// Before dictionaries, events were stored as tracking.Message JSON.
		if err := json.Unmarshal(raw, &msgs); err != nil {
			return nil, err
		}
		return msgs, nil
	}
	return decodeStoredEvents(raw)
}

// decodeStoredEvents reads the JSON array of storedEvent a dictionary-format
// chunk (or a profile's recent events) holds.
func decodeStoredEvents(raw []byte) ([]tracking.Message, error) {
	var stored []storedEvent
	if err := json.Unmarshal(raw, &stored); err != nil {
		return nil, err
	}
	msgs := make([]tracking.Message, len(stored))
	for i, se := range stored {
		m := se.Message
		m.Properties = se.Properties
		if se.PageProps {
			if m.Context.Page == nil {
				return nil, fmt.Errorf("event %s: page properties without context.page", m.MessageID)
			}
			m.Properties = pageProps(m.Context.Page)
		}
		if se.ReceivedAt != nil {
			m.ReceivedAt = *se.ReceivedAt
		} else {
			m.ReceivedAt = receivedAtFrom(&m)
		}
		msgs[i] = m
	}
	return msgs, nil
}

// DecodeEvents returns the events of a timeline chunk's z attribute, in any
// format this package has written: for tools that read the table directly
// (bench/pipeline's verification).
func DecodeEvents(z []byte) ([]tracking.Message, error) { return decodeChunk(z) }

// ProfileJSON returns the contact.Profile JSON stored in a profile item (d,
// or dz in any format this package has written): for tools that read the
// table directly.
func ProfileJSON(item map[string]types.AttributeValue) ([]byte, error) {
	raw, _, err := profileParts(item)
	return raw, err
}

// ProfileEvents returns the timeline events kept in a profile item
// (contact.Profile.Recent): for tools that read the table directly.
func ProfileEvents(item map[string]types.AttributeValue) ([]tracking.Message, error) {
	_, recent, err := profileParts(item)
	if err != nil {
		return nil, err
	}
	msgs, _, err := recent.decode()
	return msgs, err
}

// The de-duplication window (contact.Profile.Applied) is stored as its
// 8-byte hashes (w). Most of its entries are the hashes of the message ids
// of the events the item keeps (Recent), which the item holds anyway: then
// wr has one byte per entry, the index of the kept event whose id hashes to
// it, or windowInW for the next hash in w. Only an item in formatJointV1
// has kept events, so code that predates wr fails on such an item's dz
// instead of reading a short window.
const windowInW = 0xff

// encodeWindow returns w and, when that is shorter, wr.
func encodeWindow(applied []uint64, recent []tracking.Message) (w, wr []byte) {
	full := make([]byte, 0, 8*len(applied))
	for _, h := range applied {
		full = binary.LittleEndian.AppendUint64(full, h)
	}
	if len(recent) == 0 || len(recent) >= windowInW || len(applied) == 0 {
		return full, nil
	}
	kept := make(map[uint64]byte, len(recent))
	for j, m := range recent {
		h := contact.Hash(m.MessageID)
		if _, dup := kept[h]; !dup {
			kept[h] = byte(j)
		}
	}
	for _, h := range applied {
		if j, ok := kept[h]; ok {
			wr = append(wr, j)
		} else {
			wr = append(wr, windowInW)
			w = binary.LittleEndian.AppendUint64(w, h)
		}
	}
	if len(w)+len(wr)+len("wr") >= len(full) {
		return full, nil
	}
	return w, wr
}

// decodeWindow reads what encodeWindow wrote.
func decodeWindow(w, wr []byte, recent []tracking.Message) ([]uint64, error) {
	var out []uint64
	if len(wr) == 0 {
		for i := 0; i+8 <= len(w); i += 8 {
			out = append(out, binary.LittleEndian.Uint64(w[i:]))
		}
		return out, nil
	}
	for _, j := range wr {
		switch {
		case j == windowInW:
			if len(w) < 8 {
				return nil, errors.New("window: w shorter than wr says")
			}
			out = append(out, binary.LittleEndian.Uint64(w))
			w = w[8:]
		case int(j) < len(recent):
			out = append(out, contact.Hash(recent[j].MessageID))
		default:
			return nil, fmt.Errorf("window: kept event %d of %d", j, len(recent))
		}
	}
	if len(w) > 0 {
		return nil, errors.New("window: w longer than wr says")
	}
	return out, nil
}

// The window's keys (contact.Profile.AppliedKeys: Unix seconds of the
// events, 0 for a batch's group entry) were stored as 4 bytes each (wk).
// They are event times a few seconds to days apart, so they are now stored
// delta-coded (wd), about 1.25 bytes a key instead of 4 (~88 B of a
// returning contact's ~1 KB item): one uvarint per key in window order, 0
// for a key of 0, otherwise zigzag(key - prev) + 1, where prev is the
// previous non-zero key, starting at the horizon (wh: a key that just left
// the window, so the first delta is small too). Lossless: the window's
// decisions are exactly those of the 4-byte form, which still reads.
func encodeWindowKeys(keys []uint32, horizon uint32) []byte {
	out := make([]byte, 0, 2*len(keys))
	prev := int64(horizon)
	for _, k := range keys {
		if k == 0 {
			out = append(out, 0)
			continue
		}
		d := int64(k) - prev
		out = binary.AppendUvarint(out, uint64(d<<1^d>>63)+1)
		prev = int64(k)
	}
	return out
}

// decodeWindowKeys reads what encodeWindowKeys wrote.
func decodeWindowKeys(b []byte, horizon uint32) ([]uint32, error) {
	out := make([]uint32, 0, len(b))
	prev := int64(horizon)
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("window keys: bad varint")
		}
		b = b[n:]
		if v == 0 {
			out = append(out, 0)
			continue
		}
		v--
		k := prev + (int64(v>>1) ^ -int64(v&1))
		if k < 1 || k > math.MaxUint32 {
			return nil, fmt.Errorf("window keys: key %d out of range", k)
		}
		out = append(out, uint32(k))
		prev = k
	}
	return out, nil
}

// recentParts are the stored forms of a profile's recent events and their
// score changes (both empty when it has none).
type recentParts struct{ events, scores []byte }

func (r recentParts) decode() ([]tracking.Message, []scoring.Change, error) {
	if len(r.events) == 0 {
		return nil, nil, nil
	}
	msgs, err := decodeStoredEvents(r.events)
	if err != nil {
		return nil, nil, err
	}
	var changes []scoring.Change
	if len(r.scores) > 0 {
		if err := json.Unmarshal(r.scores, &changes); err != nil {
			return nil, nil, fmt.Errorf("score changes: %w", err)
		}
	}
	return msgs, changes, nil
}

// profileParts splits a profile item into its profile JSON and its recent
// events (formatJointV1).
func profileParts(item map[string]types.AttributeValue) ([]byte, recentParts, error) {
	z := bin(item, "dz")
	if len(z) == 0 {
		return []byte(str(item, "d")), recentParts{}, nil
	}
	raw, err := inflate(profileCodecs, z)
	if err != nil || z[0] != formatJointV1 {
		return raw, recentParts{}, err
	}
	prof, rest, ok1 := bytes.Cut(raw, []byte{'\n'})
	events, scores, ok2 := bytes.Cut(rest, []byte{'\n'})
	if !ok1 || !ok2 {
		return nil, recentParts{}, errors.New("profile with recent events: missing a line")
	}
	return prof, recentParts{events, scores}, nil
}

// compressProfile is a profile item's dz: the profile JSON alone
// (formatDictV1) or with its recent events and their score changes
// (formatJointV1).
func compressProfile(profile []byte, recent []tracking.Message, changes []scoring.Change) ([]byte, error) {
	if len(recent) == 0 {
		return profileV1.compress(profile)
	}
	parts := [][]byte{profile, []byte("\n[")}
	for i, m := range recent {
		raw, err := marshalEvent(m)
		if err != nil {
			return nil, fmt.Errorf("encode event %s: %w", m.MessageID, err)
		}
		if i > 0 {
			parts = append(parts, []byte(","))
		}
		parts = append(parts, raw)
	}
	parts = append(parts, []byte("]\n"))
	if len(changes) > 0 {
		raw, err := json.Marshal(changes)
		if err != nil {
			return nil, fmt.Errorf("encode score changes: %w", err)
		}
		parts = append(parts, raw)
	}
	return jointV1.compress(parts...)
}

// The dictionaries. Built once, on 2026-11-24, from ~7,000 timeline chunks
// and ~7,000 profile saves: synthetic analytics.js traffic for 400 made-up
// sites (real user agents, locales, referrers, UTM sources and mediums, the
// Segment spec's and the scoring model's event names; random domains,
// names, ids, slugs and campaign names; times spread over 2026-2030), plus
// form fills and email events, run through tracking.Parse and the contact
// processor with the scoring model, in the stored form above. Picked
// greedily: 48-byte segments of that text scored by how many samples
// contain each of their 8-byte substrings (substrings in under 1% of
// samples, i.e. ids, count for nothing), the best segments last, nearest
// the data. The events dictionary also saw score-change JSON, so sc can move
// to it. The bench's workload (bench/pipeline) was not in the training set.
// 6 KB + 2 KB: an 8 KB events dictionary measured no smaller.
//
// NEVER EDIT: see the format comment at the top.

// 6144 bytes, sha256 58987c7ce3d5f5237056d1b172b34e18edd63f1c52bde156b513aa804f4b706c
const eventsDictV1 = "" +
	"Glename\":\"free_tracebook\",\"medium\":\"paid_social\"5\",\"event\":\"Button Click" +
	"e.io/blog/startups\",\"title\":\"Startups ://www.roa\",\"full_ontent_asset_id\"" +
	":\"neies\":{\"source\":\"pricing\"}},{\"t8Z\",\"pro\"/about\"},\"usgoogle.de/\",\"pat." +
	"net/blog/enterprise\",\"title\":\"Enterprise — 5.0\",\"lo,\"ip\":\"20.0.0 Mobil" +
	"e Safariid\":\"content-downloa6\",\"rule3\",\"rule_id\":\"case-study-view\",2\",\"e" +
	"vent\":\"Product Viewed\",\"co0\",\"rule_id\":\"trial-started\",\"ki.co/blog/slack" +
	"\",\"title\":\"Slack — ttps://nees\":{\"percent\":75}},{\"ty1Z\",\"proEurope/Lon" +
	"don\",\"libe\":\"en-GB\",\"time-sales\",\"path\":\"/securi://www.kapra.com/contacs" +
	"a\",\"refe.co.uk/blog\",\"title\":\"Blog — Mar:\"/docs\"},\"uswww.linkedin.com/" +
	"\",s/finance\"},\"usio/about-us\",\"path\":\"/case-sfu\",\"title\":\"Customers —m" +
	"paign=newsletter_ints\":20,\"ae_id\":\"senior-title\",\"kin13Z\"},{\"mints\":3,\"a" +
	"t\":\"2026-10-16T1\",\"webinar_id\":\"hubspot\"},ies\":{\"title\"h\":\"/request-demo" +
	"\"},://www.bing.com/\",6\",\"event\":\"Signed Up\",\"cont\"USD\",\"order_id\":\"ses\":" +
	"{\"curren5Z\",\"proies\":{\"button_id\":\"download\",\"text7Z\",\"proEurope/Paris\"," +
	"\"librcale\":\"fr-FR\",\"tim:\"2028-12-04Text-1.75.3\"}},\"tiEurope/Madrid\",\"lib" +
	"rale\":\"es-ES\",\"tim\"2026-04-03T2ext-1.76.2\"}},\"tiEurope/Berlin\",\"librcale" +
	"\":\"de-DE\",\"time\"2028-08-18Text-1.65.4\"}},\"ti9\",\"event\":\"Webinar Register" +
	"ed\",\"comerica/Toronto\",\"libe\":\"en-CA\",\"time.com/about\",\"path\":\"/partners" +
	"\"},\"ttps://tor1\",\"event\":\"Order Completed\",\"c:\"Asia/Kolkata\",\"libre\":\"en" +
	"-IN\",\"time\"2027-09-14Tndroid\"}}},\"ts\":{\"category\":\"Hardware\",413Z\",\"prop" +
	"ra\",\"title\":\"Getting started aign=free_trial_0\",\"event\":\"Content Downloa" +
	"ded\",\"co:\"user_2ogle.co.uk/\",\"path\":\"/solutions/slack\"},\"use40.0\",\"lon/1" +
	"8.4 Safari/605.1.15\",\"ip\":\"10a\\u0026gclid=mpaign=ebook_ium=cpc\\u0026uone" +
	"\":\"Australia/Sydney\",\"libre\":\"en-AU\",\"time5.0 (iPad; CPU OS 17_7 a\"},\"us" +
	"emerica/Sao_Paulo\",\"libale\":\"pt-BR\",\"time.com/product\",\"path\":\"/compare/" +
	"healthcare\"},\"us8\",\"event\":\"Demo Requested\",\",\"userIdtek\",\"path\":\"/prici" +
	"ncing\",\"title\":\"Pricing | th\":\"/free-trial\"},\"us://www.facebook.com/\",me" +
	"dium=referral\\u002source=capterra\\u0026u.com/integrations\",\"title\":\"Inte" +
	"grations — Tor Inc\",\"refecom/signup\",\"title\":\"Sign up — [{\"messamedi" +
	"um=email\"}}]e=newsletter\\u00264\",\"event\":\"Video Playback Started:\"user_1" +
	"oints\":3e_id\":\"docs-view\",:25.413Z\",\"contactId\":\"c_28-07-28T03\",\"event\":" +
	"\"Form Submitted\",\"c:\"user_3ath\":\"/ebooks/retail\"},\"use/www.reddit.com/\"," +
	"604.1\",\"ip\":\"7rsion/17.7 Mobile.com/features/quickstart\",\"title\":\"Quicks" +
	"tart -  Software\",\"refatures\",\"title\":\"Features | ol\",\"path\":\"/careers\"," +
	"\"setle\":\"Careers —  Analytics\",\"cont1\",\"name\":\"Resources —  Systems\"" +
	",\"refom/login\",\"title\":\"Log in — 8\",\"rule_id\":\"pricing-page\",\"kindtify" +
	"\",\"messtext\":\"Read the docs\"}},{\"t537.36 Edg/136.0.0.0\",\"iprome/136.0.0." +
	"0 :\"/blog/reporting\"},\"us.com/resources\",\"pattext\":{},\"time-\",\"event\":\"E" +
	"mail Opened\",\"cource\":\"linkedin\",\"medium\":\"social\",\"name\":\"branda/5.0 (L" +
	"inux; Android 10; K) Apple:\"2027-11-25T1next-1.71.0\"}},\"tiath\":\"/login\"}" +
	",\"use://news.ycombinator.com/\",ies\":{\"href\":\"https://docs.example.com/st" +
	"artups\"one\":\"Asia/Tokyo\",\"librcale\":\"ja-JP\",\"time\"}],\"revenue\":90,\"tota\"" +
	",\"quantity\":1,\"sku\":\"tps://t.co/\",\"path\":\"/webinars/enterprise\"},\"use.co" +
	"m/docs\",\"title\":\"Documentation \xe2://www.linurce\":\"google\",\"medium\":\"cpc\"," +
	"\"name\":\"retargetina Cloud\",\"refe/partners\",\"title\":\"Partners - ies\":{\"pl" +
	"an\":\"pro\",\"trial_days\":14}},{\"tyath\":\"/signup\"},\"usettps://duckduckgo.co" +
	"m/\",a/5.0 (X11; Linux x86_64) Appler\",\"format\":\"pdf\",\"titles\":{\"content_" +
	"id\":\"praa\",\"lastName\":\"Praa.com\",\"firstName\":\"Toroints\":5,\"at\":\"egistere" +
	"d\",\"kithod\":\"email\",\"plan\":\"trial\"},\"receivedAt\":\"2026medium=paid_social" +
	"\\u0026uurce=linkedin\\u0026ud\":50,\"total_length\":5,\"video_player\":\"youtub" +
	"e\"}com/solutions/hubspot\",\"path\":\"/customers\"},\"usa/5.0 (iPhone; CPU iPh" +
	"one OS 18_4 like Mlin\",\"path\":\"/\"},\"useet/\",\"title\":\"Home — ator.com/f" +
	"ree-trial\",\"title\":\"Free trial — a\",\"email\":\"0\",\"traits\":{\"company\":\"T" +
	"tor\",\"path\":\"/demo\"},\"useitle\":\"Book a demo | ies\":{\"form_id\":\"demo-requ" +
	"est\",\"form_name\":\"Con,\"full_screen\":false,\"position\":0,\"session_id\":\" La" +
	"bs\",\"refedemo\",\"title\":\"Request demo — .com/blog/salesforce\",\"path\":\"/" +
	"about-us\"},\"usom/pricing\",\"path\":\"/docs/getting-started\"},\"usep\":\"2029le" +
	"\":true,\"platform\":\"macOS\"}}},\"tcurity\",\"title\":\"Security — om/case-stu" +
	"dies/ssy\",\"path\":\"/product\"},\"useitle\":\"Product - ne\",\"content\":\"dium\":\"" +
	"referral\",\"name\":\"ebook_ducts\":[{\"name\":\"Plan\",\"price\":99,\"product_id\":\"" +
	"pra\",\"path\":\"/features\"},\"r\\u0026utm_content=toints\":10,\"at\":\"wnloaded\"," +
	"\"kinde\",\"rule_id\":\"blog-view\",\"cale\":\"nl-NL\",\"timezone\":\"Europe/Amsterda" +
	"m\",\"lib\"contact\",\"text\":\"Learn more\"}},{\"type\":\"identif.com/request-demo" +
	"\",\"path\":\"/integrations\"},\"usp\":\"2027-03-10T06:form\":\"Windows\"}}},\"timrt" +
	"ies\":{\"campaign_id\":\"webinar\",\"send_id\":\"snd_om/customers\",\"path\":\"/reso" +
	"urces/security\"},\"usedware\",\"currency\":\"USD\",\"name\":\"Widget\",\"price\":7\"," +
	"\"event\":\"Link Clicked\",\"co\"userId\":\"user_8ne\",\"title\":\"Contact sal026utm" +
	"_campaign=brand_5; rv:137.0) Gecko/20100101 Firefox/137.0\",\"ip\": 17_7 li" +
	"ke Mac OS X) AppleWebKit/605.1.15 (KHTMLath\":\"/contact-sales\"},\"use//www" +
	".google.com/\",\"obile\":trrand\":\"Not.A/Brand\",\"versGecko) Version/18.4 Mob" +
	"ile/15E148 Safari/604.1\",1\",\"rule_id\":\"corporate-email\",\"kind\":\"fit\",\"po" +
	"i5Z\"},{\"message_id\":\"ajst\":\"2028-04-11T0a/5.0 (Windows NT 10.0; Win64; x" +
	"64; rv:137.0) Ge:identify\",\"anonymousId\":\"da/5.0 (Macintosh; Intel Mac O" +
	"S X 10_15_7) Apple\"},\"campaign\":{\"source\":\"newsletter\",\"medium\":\"eChrome" +
	"/135.0.0.0 Safari/537.36\",\"ip\":\"19rand\":\"Google Chrome\",\"version\":\"135\"}" +
	",{\"brandsion\":\"web:next-1.81.3\"},\"extra\":{\"userAgs\",\"search\":\"?utm_sourc" +
	"e=google\\u0026utm_medium=5.413Z\",\"originalTimestamp\":\"2026-09-sion\":\"99\"" +
	"}],\"mobile\":false,\"platform\":\"Android\"geId\":\"em_[{\"type\":\"track\",\"messZ\"" +
	",\"pp\":true}]6Z\",\"properties\":Z\",\"sentAt\":\"2029-08-erAgentData\":{\"brands\"" +
	":[{\"brand\":\"Chromium\",\"verne\",\"referrer\":\"httpt-us\",\"title\":\"About us - " +
	"137.0\",\"locale\":\"en-US\",\"timezone\":\"America/Los_view\",\"kind\":\"engagement" +
	"\",\"points\":2,\"at\":\"2027-) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" +
	"on\":\"npm:next-1.62.1\"}},\"timestamp\":\"2028-07-27Tcom/\",\"path\":\"/blog\"},\"u" +
	"serAgent\":\"Mozilla/5.0 (Started\",\"context\":{\"page\":{\"url\":\"https://www.g" +
	"\",\"library\":{\"name\":\"analytics.js\",\"version\":\"npp\":true},{\"type\":\"page\"," +
	"\"messageId\":\"ajs-next-18"

// 2048 bytes, sha256 6e0dec4b822e657723ca6c080be8b008df1656b6b76e6f202a826b867245e361
const profileDictV1 = "" +
	"0}}},\"stage\":\"lead\",\"stag4T00:00:\"2028-08-01T00:oints\":2},\"phone-given\":" +
	"{\"sta:\"2027-11-2:\"rule:customer-order\"}],\"cr\"trial-started\":25},\"caps\":{" +
	"\"pricing-page\":{\"stacount\":10,\"last_:25.413Z\",\"page_views\":4,\"eventurce\"" +
	":\"linkedin\",\"medium\":\"paid_social\",\"nan\":\"Asked for a demo: event \\\"Demo" +
	" Requested\\\"\",x_banner\\u0026gclid=5gle\\u0026utm_content=tekurce\":\"(direc" +
	"t)\",\"medium\":\"(none)\",\"landule\":{\"case-study-view\":5,\"webinar-registered" +
	"\":type\":\"mobile\",\"os\":\"iOS\",\"bsions\":2,\"devicsts\":{\"careers\":1,\"pricing\"" +
	":1},\"devis\":1,\"interdocs-view\":3},\"caps\":{\"content-downloaded\":{\"stas_id" +
	"s\":[\"a8\",\"anonya.com\",\"user_id\":\"user_23Z\",\"lastName\",\"firstName\":\"2028-" +
	"04-11T09:medium=social\\u002?utm_source=linkedin\\u0026uaying customer: ev" +
	"ent \\\"Order Completed\\\"\",\"by\":ement\":2,\"as_of\":\"2028,\"senior-title\":20}," +
	"\"engta\",\"content\":\":\"referral\",\"name\":\"newsletter_p\",\"os\":\"Windows\",\"bro" +
	"wser\":\"Firefox\"},\"tim:\"2027-02-10T11:03:32.55Z\",\"updated_at\":\"2029-11zon" +
	"e\":\"Europe/Paris\",\"score_ser\":\"Safari\"},\"timZ\",\"reason\":\"Known and engag" +
	"ed: total 30 \\u003e=ator.com\",\"email_type\":\"corporate\"},\"devic\"newslette" +
	"r\"],\"trait_times\":{\"company\":\"2028-12-oints\":5}}},\"stage\":\"customer\",\"st" +
	"age_hissa\",\"path\":\"/\",\"at\":\"2026-07\",\"title\":\"Home - s://www.google.com/" +
	"\",\"lanerral\",\"referrce\":\"google.com\",\"medi413Z\"},\"last_touc0, email exis" +
	"ts\",\"by\":\"rule:lead-score\"}],\"creat10,\"fit_breakdown\":{\"corporate-email\"" +
	":10},\"engag,\"interests\":{\"developers\":1},\"company\":{\"domain026utm_medium" +
	"=referral\\u0026utm_campaign=newslet49Z\",\"page_views\",\"last_seen\":\"2029-0" +
	"9-24T01:25.413Z\",\"by_rule\":{\"blog-view\":2},\"caps\":{\"blogage_history\":[{\"" +
	"from\":\"\",\"to\":\"lead\",\"at\":\"2027-\"macOS\",\"browser\":\"Chrome\"},\"timezone\":\"" +
	"America/,\"anonymous_ids\":null,\"traits\":null,\"first_seen\",\"referrer\":\"htt" +
	"ps://t.co/\",\"landing_page\":\"http-view\":{\"start\":\"2028-07-01T00:00:00Z\",\"" +
	"points\":476c04\",\"fit\":0,\"engagement\":0},\"created_at\":\"20Z\"},\"first_touch" +
	"\":{\"source\":\"g2\",\"medium\":\"referZ\"},\"sessions\":1,\"device\":{\"type\":\"deskt" +
	"op\",\"os\",\"event_count\":8,\"last_page\":{\"url\":\"https://wwwscore_state\":{\"m" +
	"odel_version\":\"8f03feb7dd476c04\""
