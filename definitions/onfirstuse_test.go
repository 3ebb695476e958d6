package definitions

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/leadflow/leadflow/shared/mail"
)

// OnFirstUse reads once, on the first call, for concurrent callers too;
// a read that fails gives its reason with what did not load, on every
// call, never a half-read value.
func TestOnFirstUse(t *testing.T) {
	var calls atomic.Int32
	get := OnFirstUse("sender: the repo's sending settings (definitions/sending.json)", func() (mail.Settings, error) {
		calls.Add(1)
		return mail.Settings{MaxSendRate: 3}, nil
	})
	if calls.Load() != 0 {
		t.Fatal("read before first use")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if s, err := get(); err != nil || s.MaxSendRate != 3 {
				t.Errorf("%+v, %v", s, err)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("read %d times, want once", n)
	}

	calls.Store(0)
	broken := errors.New(`default_timezone: unknown time zone "Mars/Olympus"`)
	get = OnFirstUse("sender: the repo's sending settings (definitions/sending.json)", func() (mail.Settings, error) {
		calls.Add(1)
		return mail.Settings{MaxSendRate: 1000}, broken
	})
	for range 2 {
		s, err := get()
		if !errors.Is(err, broken) || !strings.HasPrefix(err.Error(), "sender: the repo's sending settings (definitions/sending.json): ") {
			t.Errorf("error %v", err)
		}
		if s.MaxSendRate != 0 {
			t.Errorf("half-read settings given: %+v", s)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("read %d times, want once", n)
	}
}
