package preference

import (
	"context"
	"errors"
	"testing"

	"github.com/leadflow/leadflow/shared/contact"
)

// conflictingStore always loses the race.
type conflictingStore struct{ saves int }

func (s *conflictingStore) GetProfile(_ context.Context, id string) (*contact.Profile, error) {
	if id == "c_gone" {
		return nil, contact.ErrNotFound
	}
	if id == "c_old" {
		return &contact.Profile{ID: id, MergedInto: "c_1"}, nil
	}
	return &contact.Profile{ID: id, Status: StatusSubscribed}, nil
}

func (s *conflictingStore) SaveProfile(context.Context, *contact.Profile) error {
	s.saves++
	return contact.ErrConflict
}

func TestUpdate(t *testing.T) {
	st := &conflictingStore{}
	unsub := func(p *contact.Profile) bool { return Unsubscribe(p, "") }
	if _, _, err := Update(context.Background(), st, "c_1", at, unsub); err == nil || st.saves != 6 {
		t.Errorf("endless conflicts: err %v after %d saves", err, st.saves)
	}
	if _, _, err := Update(context.Background(), st, "c_gone", at, unsub); !errors.Is(err, contact.ErrNotFound) {
		t.Errorf("unknown contact: %v", err)
	}
	p, wrote, err := Update(context.Background(), st, "c_old", at, func(*contact.Profile) bool { return false })
	if err != nil || wrote || p.ID != "c_1" {
		t.Errorf("merged contact: %v %v %v", p, wrote, err)
	}
}
