package dynamo

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/contact"
)

// TestWindowKeysRoundTrip: the delta-coded window keys read back exactly,
// whatever their order, gaps, group entries (0) and extremes, from any
// horizon.
func TestWindowKeysRoundTrip(t *testing.T) {
	cases := map[string]struct {
		keys    []uint32
		horizon uint32
	}{
		"a session":           {[]uint32{1764000000, 1764000003, 1764000010, 0, 1764000031, 0}, 1763999990},
		"no horizon":          {[]uint32{1764000000, 0, 1764000000}, 0},
		"times going back":    {[]uint32{1764000100, 1764000000, 1763000000, 1765000000}, 1764000050},
		"extremes":            {[]uint32{1, math.MaxUint32, 1, 0, math.MaxUint32}, math.MaxUint32},
		"all group entries":   {[]uint32{0, 0, 0}, 5},
		"horizon above a key": {[]uint32{10}, 4000000000},
		"empty":               {[]uint32{}, 7},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		var keys []uint32
		base := r.Uint32()
		for range r.IntN(40) {
			switch r.IntN(4) {
			case 0:
				keys = append(keys, 0)
			case 1:
				keys = append(keys, max(1, r.Uint32()))
			default:
				keys = append(keys, max(1, base+uint32(r.IntN(86400))))
			}
		}
		cases["random "+string(rune('a'+i%26))+string(rune('a'+i/26))] = struct {
			keys    []uint32
			horizon uint32
		}{keys, r.Uint32()}
	}
	for name, tc := range cases {
		got, err := decodeWindowKeys(encodeWindowKeys(tc.keys, tc.horizon), tc.horizon)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(tc.keys) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tc.keys) {
			t.Errorf("%s: keys %v read back as %v", name, tc.keys, got)
		}
	}
}

// TestWindowKeysAreSmall: a returning contact's full window (32 entries:
// events seconds apart over a few visits, a group entry per batch) takes
// well under half the 4-byte form's bytes.
func TestWindowKeysAreSmall(t *testing.T) {
	var keys []uint32
	at := uint32(1764000000)
	for visit := range 4 {
		at += uint32(visit) * 86400 * 2
		for e := range 7 {
			keys = append(keys, at+uint32(e*9))
		}
		keys = append(keys, 0)
	}
	wd := encodeWindowKeys(keys, at-86400*9)
	if len(keys) != 32 || len(wd) > 2*len(keys) {
		t.Errorf("%d keys take %d bytes delta-coded (4-byte form: %d), want at most 2 a key", len(keys), len(wd), 4*len(keys))
	}
	t.Logf("%d keys: %d bytes delta-coded, %d in the 4-byte form", len(keys), len(wd), 4*len(keys))
}

// TestWindowKeysOfOlderItemsRead: an item written before wd keeps its keys
// in wk (4 bytes each) and reads as before; a corrupt wd fails the read
// instead of handing back a wrong window.
func TestWindowKeysOfOlderItemsRead(t *testing.T) {
	p := bigProfileWithWindow()
	db := &putRecorder{}
	if err := New(db, "t").SaveProfile(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	it := db.items[0]
	if _, ok := it["wd"]; !ok {
		t.Fatal("no wd written")
	}
	if _, ok := it["wk"]; ok {
		t.Fatal("wk still written")
	}
	old := map[string]types.AttributeValue{}
	for k, v := range it {
		old[k] = v
	}
	delete(old, "wd")
	wk := make([]byte, 4*len(p.AppliedKeys))
	for i, k := range p.AppliedKeys {
		binary.LittleEndian.PutUint32(wk[4*i:], k)
	}
	old["wk"] = &types.AttributeValueMemberB{Value: wk}
	for name, item := range map[string]map[string]types.AttributeValue{"wd": it, "wk (older item)": old} {
		got, err := decodeProfile(item)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got.AppliedKeys, p.AppliedKeys) || got.AppliedHorizon != p.AppliedHorizon {
			t.Errorf("%s: keys %v horizon %d, want %v %d", name, got.AppliedKeys, got.AppliedHorizon, p.AppliedKeys, p.AppliedHorizon)
		}
	}
	it["wd"] = &types.AttributeValueMemberB{Value: []byte{0xff}}
	if _, err := decodeProfile(it); err == nil {
		t.Error("a truncated wd read without error")
	}
}

// bigProfileWithWindow is bigProfile with a window's keys and horizon.
func bigProfileWithWindow() *contact.Profile {
	p := bigProfile(time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC))
	p.AppliedKeys = []uint32{1764000000, 1764000005, 0, 1764000000 + 86400}
	p.AppliedHorizon = 1763990000
	return p
}
