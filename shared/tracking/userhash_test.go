package tracking

import (
	"testing"
	"time"
)

func TestParseTakesTheUserHashAndNeverKeepsItAsATrait(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"integrations.Leadflow", `{"userId":"u","integrations":{"Leadflow":{"user_hash":"abc"}}}`, "abc"},
		{"integration name in any case", `{"userId":"u","integrations":{"leadflow":{"user_hash":"abc"}}}`, "abc"},
		{"traits", `{"userId":"u","traits":{"user_hash":"abc","first_name":"A"}}`, "abc"},
		{"context.traits", `{"userId":"u","context":{"traits":{"user_hash":"abc"}}}`, "abc"},
		{"integrations win over traits", `{"userId":"u","integrations":{"Leadflow":{"user_hash":"int"}},"traits":{"user_hash":"tr"}}`, "int"},
		{"a non-string hash is no hash", `{"userId":"u","traits":{"user_hash":42}}`, ""},
		{"another destination's hash is not ours", `{"userId":"u","integrations":{"Intercom":{"user_hash":"abc"}}}`, ""},
		{"integrations that are not an object", `{"userId":"u","integrations":"all"}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(Request{Type: TypeIdentify, Body: []byte(tc.body), ReceivedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			m := p.Messages[0]
			if m.UserHash != tc.want || m.Verified {
				t.Errorf("user hash %q verified %v, want %q and never verified by Parse", m.UserHash, m.Verified, tc.want)
			}
			if _, ok := m.Traits[UserHashKey]; ok {
				t.Errorf("traits keep the hash: %v", m.Traits)
			}
			if _, ok := m.Context.Traits[UserHashKey]; ok {
				t.Errorf("context.traits keep the hash: %v", m.Context.Traits)
			}
		})
	}
}
