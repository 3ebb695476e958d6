package dynamo

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/tracking"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	writeAPI // UpdateItem, DeleteItem (forms.go)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store implements the domain stores on one DynamoDB table.
type Store struct {
	db    API
	table string
	// EventTTL is how long timeline events are kept; 0 keeps them forever.
	EventTTL time.Duration
	// group, when set, writes timeline chunks and member items in shared
	// BatchWriteItem calls (GroupWrites).
	group *groupWriter
	// countUnits is what each shard's shared count item cost at its last
	// write (AddCounts): 0 until written by this instance.
	countUnits [membership.Shards]atomic.Int32
}

var (
	_ contact.Store = (*Store)(nil)
	_ site.Store    = (*Store)(nil)
)

// New returns a Store on the named table.
func New(db API, table string) *Store {
	return &Store{db: db, table: table}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// capacity asks DynamoDB to report consumed units. It costs nothing and
// lets the benchmark price the pipeline from real figures.
const capacity = types.ReturnConsumedCapacityTotal

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: s(pk), attrSK: s(sk)}
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func num(item map[string]types.AttributeValue, name string) int64 {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		x, _ := strconv.ParseInt(v.Value, 10, 64)
		return x
	}
	return 0
}

func bin(item map[string]types.AttributeValue, name string) []byte {
	if v, ok := item[name].(*types.AttributeValueMemberB); ok {
		return v.Value
	}
	return nil
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// batchGet reads keys in chunks of 100, retrying unprocessed keys with backoff.
func (st *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool) ([]map[string]types.AttributeValue, error) {
	return st.batchGetItems(ctx, keys, consistent, "")
}

// batchGetItems reads keys 100 at a time, retrying unprocessed keys;
// projection ("" for whole items) names the attributes to read.
func (st *Store) batchGetItems(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool, projection string) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for start := 0; start < len(keys); start += 100 {
		end := min(start+100, len(keys))
		ka := types.KeysAndAttributes{Keys: keys[start:end], ConsistentRead: aws.Bool(consistent)}
		if projection != "" {
			ka.ProjectionExpression = aws.String(projection)
		}
		req := map[string]types.KeysAndAttributes{st.table: ka}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if attempt > 8 {
					return nil, fmt.Errorf("batch get: %d keys still unprocessed after retries", len(req[st.table].Keys))
				}
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return nil, err
				}
			}
			res, err := st.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req, ReturnConsumedCapacity: capacity})
			if err != nil {
				return nil, fmt.Errorf("batch get %d keys: %w", end-start, err)
			}
			out = append(out, res.Responses[st.table]...)
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

func backoff(attempt int) time.Duration {
	d := time.Duration(25<<min(attempt, 6)) * time.Millisecond
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// LookupIdentities implements contact.Store.
func (st *Store) LookupIdentities(ctx context.Context, ids []contact.Identity) (map[contact.Identity]string, error) {
	out := map[contact.Identity]string{}
	if len(ids) == 0 {
		return out, nil
	}
	byPK := map[string]contact.Identity{}
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	for _, id := range ids {
		pk := identityPK(id)
		if _, dup := byPK[pk]; dup {
			continue
		}
		byPK[pk] = id
		keys = append(keys, key(pk, skIdentity))
	}
	items, err := st.batchGet(ctx, keys, false)
	if err != nil {
		return nil, fmt.Errorf("look up identities: %w", err)
	}
	for _, it := range items {
		if id, ok := byPK[str(it, attrPK)]; ok {
			out[id] = str(it, "c")
		}
	}
	return out, nil
}

// LinkIdentity implements contact.Store.
func (st *Store) LinkIdentity(ctx context.Context, id contact.Identity, contactID string, now time.Time) (string, error) {
	item := key(identityPK(id), skIdentity)
	item["c"] = s(contactID)
	item["t"] = s(now.UTC().Format(time.RFC3339))
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(st.table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              capacity,
	})
	if err == nil {
		return contactID, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return "", fmt.Errorf("link identity %s: %w", id.Kind, err)
	}
	if owner := str(ccf.Item, "c"); owner != "" {
		return owner, nil
	}
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(identityPK(id), skIdentity), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("read identity owner %s: %w", id.Kind, err)
	}
	return str(res.Item, "c"), nil
}

// RelinkIdentity implements contact.Store.
func (st *Store) RelinkIdentity(ctx context.Context, id contact.Identity, from, to string) error {
	item := key(identityPK(id), skIdentity)
	item["c"] = s(to)
	item["t"] = s(time.Now().UTC().Format(time.RFC3339))
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(st.table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR c = :from"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":from": s(from)},
		ReturnConsumedCapacity:    capacity,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("relink identity %s from %s to %s: %w", id.Kind, from, to, err)
	}
	return nil
}

// GetProfiles implements contact.Store.
func (st *Store) GetProfiles(ctx context.Context, ids []string) (map[string]*contact.Profile, error) {
	out := map[string]*contact.Profile{}
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, key(contactPK(id), skProfile))
	}
	items, err := st.batchGet(ctx, keys, true)
	if err != nil {
		return nil, fmt.Errorf("get profiles: %w", err)
	}
	for _, it := range items {
		p, err := decodeProfile(it)
		if err != nil {
			return nil, err
		}
		out[p.ID] = p
	}
	return out, nil
}

// GetProfile reads one profile; contact.ErrNotFound if there is none.
func (st *Store) GetProfile(ctx context.Context, id string) (*contact.Profile, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.table), Key: key(contactPK(id), skProfile), ReturnConsumedCapacity: capacity})
	if err != nil {
		return nil, fmt.Errorf("get profile %s: %w", id, err)
	}
	if res.Item == nil {
		return nil, fmt.Errorf("profile %s: %w", id, contact.ErrNotFound)
	}
	return decodeProfile(res.Item)
}

func decodeProfile(it map[string]types.AttributeValue) (*contact.Profile, error) {
	p := &contact.Profile{}
	raw, recent, err := profileParts(it)
	if err != nil {
		return nil, fmt.Errorf("decompress profile %s: %w", str(it, attrPK), err)
	}
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, fmt.Errorf("decode profile %s: %w", str(it, attrPK), err)
	}
	if p.Recent, p.RecentScores, err = recent.decode(); err != nil {
		return nil, fmt.Errorf("decode recent events of %s: %w", str(it, attrPK), err)
	}
	p.ID = contactIDFromPK(str(it, attrPK))
	p.Version = num(it, "v")
	if p.Applied, err = decodeWindow(bin(it, "w"), bin(it, "wr"), p.Recent); err != nil {
		return nil, fmt.Errorf("decode window of %s: %w", str(it, attrPK), err)
	}
	p.AppliedHorizon = uint32(num(it, "wh"))
	if wd := bin(it, "wd"); len(wd) > 0 {
		if p.AppliedKeys, err = decodeWindowKeys(wd, p.AppliedHorizon); err != nil {
			return nil, fmt.Errorf("decode window of %s: %w", str(it, attrPK), err)
		}
	} else {
		wk := bin(it, "wk") // written before wd
		for i := 0; i+4 <= len(wk); i += 4 {
			p.AppliedKeys = append(p.AppliedKeys, binary.LittleEndian.Uint32(wk[i:]))
		}
	}
	if lc := bin(it, "lc"); len(lc) == 8 {
		p.LastCommit = binary.LittleEndian.Uint64(lc)
	}
	return p, nil
}

// SaveProfile implements contact.Store.
func (st *Store) SaveProfile(ctx context.Context, p *contact.Profile) error {
	item, err := profileItem(p)
	if err != nil {
		return err
	}
	return st.putProfile(ctx, p, item)
}

// profileItem is the item SaveProfile writes for p, its recent events
// (p.Recent) included.
func profileItem(p *contact.Profile) (map[string]types.AttributeValue, error) {
	d, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode profile %s: %w", p.ID, err)
	}
	w, wr := encodeWindow(p.Applied, p.Recent)
	item := key(contactPK(p.ID), skProfile)
	// DynamoDB bills a write by the item's size in 1 KB steps, and the
	// profile is rewritten on every batch: the dictionary form (compress.go)
	// keeps even a large profile at one write unit. Plain JSON stays for a
	// profile the dictionary cannot shrink (none seen so far). Recent
	// events ride in the same stream (compress.go, formatJointV1).
	z, err := compressProfile(d, p.Recent, p.RecentScores)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", p.ID, err)
	}
	if len(z) < len(d) || len(p.Recent) > 0 {
		item["dz"] = &types.AttributeValueMemberB{Value: z}
	} else {
		item["d"] = s(string(d))
	}
	item["v"] = n(p.Version + 1)
	if len(w) > 0 {
		item["w"] = &types.AttributeValueMemberB{Value: w}
	}
	if len(wr) > 0 {
		item["wr"] = &types.AttributeValueMemberB{Value: wr}
	}
	if len(p.AppliedKeys) > 0 {
		item["wd"] = &types.AttributeValueMemberB{Value: encodeWindowKeys(p.AppliedKeys, p.AppliedHorizon)}
	}
	if p.AppliedHorizon > 0 {
		item["wh"] = n(int64(p.AppliedHorizon))
	}
	if p.LastCommit != 0 {
		item["lc"] = &types.AttributeValueMemberB{Value: binary.LittleEndian.AppendUint64(nil, p.LastCommit)}
	}
	created := p.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	// The contacts index is sparse: only identified contacts (and tombstones
	// never) join it, so an anonymous visitor's first write is not doubled by
	// an index write. Listings, searches and background jobs cover known
	// contacts; anonymous ones are re-scored when they next show up.
	if p.Known() && p.MergedInto == "" {
		item[attrGSI1PK] = s(contactShard(p.ID))
		item[attrGSI1SK] = s(contactGSISK(created, p.ID))
	}
	return item, nil
}

// putProfile writes a profile item under p's version and bumps it.
func (st *Store) putProfile(ctx context.Context, p *contact.Profile, item map[string]types.AttributeValue) error {
	in := &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item, ReturnConsumedCapacity: capacity}
	if p.Version == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		in.ConditionExpression = aws.String("v = :v")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": n(p.Version)}
	}
	if _, err := st.db.PutItem(ctx, in); err != nil {
		if isConditionFailed(err) {
			return fmt.Errorf("save profile %s at version %d: %w", p.ID, p.Version, contact.ErrConflict)
		}
		return fmt.Errorf("save profile %s: %w", p.ID, err)
	}
	p.Version++
	return nil
}

func gunzip(z []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, 4<<20))
}

// maxChunkRaw bounds the JSON of one timeline chunk before compression, so
// the compressed item stays far below DynamoDB's 400 KB item limit.
const maxChunkRaw = 256 * 1024

// PutEvents implements contact.Store: one compressed chunk per call (split
// only if very large), keyed by the newest event time and the commit (a
// hash of the message ids when there is none). Keyed by the commit, a
// conflict retry of the same events rewrites the same chunk even when what
// the reactors added to it (segment entries) came out differently.
func (st *Store) PutEvents(ctx context.Context, contactID string, commit contact.Commit, msgs []tracking.Message, changes []scoring.Change) error {
	var chunk []json.RawMessage
	var size int
	var newest time.Time
	var ids []string
	part := uint64(0)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := st.putChunk(ctx, contactID, commit, part, chunk, newest, ids, changesFor(changes, ids))
		chunk, size, newest, ids = nil, 0, time.Time{}, nil
		part++
		return err
	}
	for _, m := range msgs {
		raw, err := marshalEvent(m)
		if err != nil {
			return fmt.Errorf("encode event %s: %w", m.MessageID, err)
		}
		if size+len(raw) > maxChunkRaw {
			if err := flush(); err != nil {
				return err
			}
		}
		chunk = append(chunk, raw)
		size += len(raw) + 1
		ids = append(ids, m.MessageID)
		if m.Timestamp.After(newest) {
			newest = m.Timestamp
		}
	}
	return flush()
}

// changesFor picks the score changes of the chunk's messages.
func changesFor(changes []scoring.Change, ids []string) []scoring.Change {
	if len(changes) == 0 {
		return nil
	}
	in := map[string]bool{}
	for _, id := range ids {
		in[id] = true
	}
	var out []scoring.Change
	for _, c := range changes {
		if in[c.MessageID] {
			out = append(out, c)
		}
	}
	return out
}

func gzipJSON(parts ...[]byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	for _, p := range parts {
		zw.Write(p)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	return buf.Bytes(), nil
}

func (st *Store) putChunk(ctx context.Context, contactID string, commit contact.Commit, part uint64, events []json.RawMessage, newest time.Time, ids []string, changes []scoring.Change) error {
	item, err := st.chunkItem(contactID, commit, part, events, newest, ids, changes)
	if err != nil {
		return err
	}
	if err := st.putUnconditional(ctx, item); err != nil {
		return fmt.Errorf("put %d events for %s: %w", len(events), contactID, err)
	}
	return nil
}

// chunkItem is the timeline chunk item putChunk writes.
func (st *Store) chunkItem(contactID string, commit contact.Commit, part uint64, events []json.RawMessage, newest time.Time, ids []string, changes []scoring.Change) (map[string]types.AttributeValue, error) {
	parts := [][]byte{[]byte("[")}
	for i, e := range events {
		if i > 0 {
			parts = append(parts, []byte(","))
		}
		parts = append(parts, e)
	}
	parts = append(parts, []byte("]"))
	z, err := eventsV1.compress(parts...)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", contactID, err)
	}
	sort.Strings(ids)
	hash := commit.ID ^ part*0x9e3779b97f4a7c15
	if commit.ID == 0 {
		var all []byte
		for _, id := range ids {
			all = append(all, id...)
			all = append(all, 0)
		}
		hash = contact.Hash(string(all))
	}
	item := key(contactPK(contactID), eventSK(newest, hash))
	item["z"] = &types.AttributeValueMemberB{Value: z}
	item["n"] = n(int64(len(events)))
	if commit.ID != 0 {
		item["ci"] = &types.AttributeValueMemberB{Value: binary.LittleEndian.AppendUint64(nil, commit.ID)}
	}
	if commit.Parent != 0 {
		item["cp"] = &types.AttributeValueMemberB{Value: binary.LittleEndian.AppendUint64(nil, commit.Parent)}
	}
	if len(changes) > 0 {
		raw, err := json.Marshal(changes)
		if err != nil {
			return nil, fmt.Errorf("encode score changes of %s: %w", contactID, err)
		}
		// The events dictionary knows this JSON too: ~80 B less than gzip,
		// which keeps most scored chunks at one write unit.
		sc, err := eventsV1.compress(raw)
		if err != nil {
			return nil, fmt.Errorf("score changes of %s: %w", contactID, err)
		}
		item["sc"] = &types.AttributeValueMemberB{Value: sc}
	}
	if st.EventTTL > 0 {
		// De-duplication reads chunks back to contact.DedupPeriod plus
		// tracking.MaxClockBehind before a retry: keep them that long.
		item[attrTTL] = n(newest.Add(max(st.EventTTL, minEventTTL)).Unix())
	}
	return item, nil
}

// minEventTTL is the least time a chunk is kept after its newest event.
const minEventTTL = contact.DedupPeriod + tracking.MaxClockBehind + 24*time.Hour

// Chunks implements contact.Store: a strongly consistent Query of each
// partition's chunks by newest event, reading the events (for their ids) and
// the commit. Read units are billed by whole item size whatever the
// projection, so the ids come from the events rather than from a hash list
// every chunk would have to store.
func (st *Store) Chunks(ctx context.Context, contactIDs []string, since time.Time) ([]contact.Chunk, error) {
	var out []contact.Chunk
	for _, id := range contactIDs {
		var startKey map[string]types.AttributeValue
		for {
			res, err := st.db.Query(ctx, &dynamodb.QueryInput{
				TableName:              aws.String(st.table),
				KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":pk": s(contactPK(id)), ":from": s(eventSKFrom(since)), ":to": s(eventSKEnd),
				},
				ProjectionExpression:   aws.String("sk, z, ci, cp"),
				ConsistentRead:         aws.Bool(true),
				ExclusiveStartKey:      startKey,
				ReturnConsumedCapacity: capacity,
			})
			if err != nil {
				return nil, fmt.Errorf("query recent chunks of %s: %w", id, err)
			}
			for _, it := range res.Items {
				msgs, err := decodeChunk(bin(it, "z"))
				if err != nil {
					return nil, fmt.Errorf("decode events of %s (%s): %w", id, str(it, attrSK), err)
				}
				c := contact.Chunk{ContactID: id, MessageIDs: make([]string, len(msgs))}
				for i, m := range msgs {
					c.MessageIDs[i] = m.MessageID
				}
				if ci := bin(it, "ci"); len(ci) == 8 {
					c.Commit.ID = binary.LittleEndian.Uint64(ci)
				}
				if cp := bin(it, "cp"); len(cp) == 8 {
					c.Commit.Parent = binary.LittleEndian.Uint64(cp)
				}
				out = append(out, c)
			}
			if startKey = res.LastEvaluatedKey; startKey == nil {
				break
			}
		}
	}
	return out, nil
}

// RecentEvents implements contact.Store.
func (st *Store) RecentEvents(ctx context.Context, contactID string, limit int) ([]tracking.Message, error) {
	return st.Timeline(ctx, []string{contactID}, time.Time{}, limit)
}

// ListRecentContacts returns up to limit contact ids, newest first, by
// querying each shard of the contacts index.
func (st *Store) ListRecentContacts(ctx context.Context, limit int) ([]string, error) {
	type entry struct{ sk, id string }
	var all []entry
	for shard := 0; shard < contactShards; shard++ {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			IndexName:                 aws.String(gsi1),
			KeyConditionExpression:    aws.String("gsi1pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(fmt.Sprintf("CONTACTS#%d", shard))},
			ScanIndexForward:          aws.Bool(false),
			Limit:                     aws.Int32(int32(limit)),
		})
		if err != nil {
			return nil, fmt.Errorf("list contacts shard %d: %w", shard, err)
		}
		for _, it := range res.Items {
			all = append(all, entry{str(it, attrGSI1SK), contactIDFromPK(str(it, attrPK))})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].sk > all[j].sk })
	ids := make([]string, 0, min(limit, len(all)))
	for i := 0; i < len(all) && i < limit; i++ {
		ids = append(ids, all[i].id)
	}
	return ids, nil
}

// GetSite implements site.Store.
func (st *Store) GetSite(ctx context.Context, k string) (site.Site, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.table), Key: key(sitePK(k), skSite), ReturnConsumedCapacity: capacity})
	if err != nil {
		return site.Site{}, fmt.Errorf("get site: %w", err)
	}
	if res.Item == nil {
		return site.Site{}, site.ErrNotFound
	}
	var out site.Site
	if err := json.Unmarshal([]byte(str(res.Item, "d")), &out); err != nil {
		return site.Site{}, fmt.Errorf("decode site: %w", err)
	}
	return out, nil
}

// PutSite implements site.Store.
func (st *Store) PutSite(ctx context.Context, x site.Site) error {
	d, err := json.Marshal(x)
	if err != nil {
		return fmt.Errorf("encode site: %w", err)
	}
	item := key(sitePK(x.Key), skSite)
	item["d"] = s(string(d))
	item[attrGSI1PK] = s(gsiSites)
	item[attrGSI1SK] = s(x.Key)
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: item}); err != nil {
		return fmt.Errorf("put site: %w", err)
	}
	return nil
}

// ListSites implements site.Store.
func (st *Store) ListSites(ctx context.Context) ([]site.Site, error) {
	items, err := st.listIndexed(ctx, gsiSites, skSite)
	if err != nil {
		return nil, err
	}
	out := make([]site.Site, 0, len(items))
	for _, it := range items {
		var x site.Site
		if err := json.Unmarshal([]byte(str(it, "d")), &x); err != nil {
			return nil, fmt.Errorf("decode site %s: %w", str(it, attrPK), err)
		}
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
